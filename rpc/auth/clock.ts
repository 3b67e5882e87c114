/**
 * The wall clock as sessions need it: read once per job. A batch of 100 calls judges 100 session
 * expiries; reading the clock for each cost ~150 ns on a busy VM (kvm-clock), about 2 % of an
 * access_check batch. Within one synchronous run (and the microtasks queued before the reset) the
 * time is the same, so a session's expiry is judged to within the length of the job.
 */
let cached = 0;
let fresh = false;

const expire = (): void => {
  fresh = false;
};

export function jobNow(): number {
  if (!fresh) {
    cached = Date.now();
    fresh = true;
    queueMicrotask(expire);
  }
  return cached;
}
