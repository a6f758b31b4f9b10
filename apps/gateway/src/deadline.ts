// One deadline helper for the gateway's waits (the detection budget, upstream probes).

/** Resolves like `promise`, or rejects with `expired()` after `ms` (the timer is cleared either way). */
export function withinDeadline<T>(promise: Promise<T>, ms: number, expired: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
