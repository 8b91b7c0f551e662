/**
 * Resolve with `fallback` when `work` takes longer than `ms`. For filesystem calls that can
 * block on a wedged mount (a stuck CVMFS or NFS): the probe answers and warns instead of
 * hanging. The stuck call itself cannot be cancelled; the timer does not keep the process alive.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, fallback: T, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => {
      onTimeout?.();
      resolve(fallback);
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
