/**
 * Runs async tasks one after another, in the order they were added: what makes a backend keep
 * status updates in order when the job wrapper does not wait for each one.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once every task added so far has settled (never rejects). */
  async idle(): Promise<void> {
    await this.tail;
  }
}
