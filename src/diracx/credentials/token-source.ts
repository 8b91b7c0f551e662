/** A bearer token provider: the pilot's own credentials, or a matched job owner's. */
export interface TokenSource {
  /** A token valid for the next request; refreshes first when it is about to expire. */
  accessToken(): Promise<string>;
  /**
   * The server answered 401 to `rejected`: refresh (once, shared by concurrent callers) and
   * return the new token; throws PilotError(AUTH_REFUSED) when that is impossible.
   */
  renewAfterRejection(rejected: string): Promise<string>;
}
