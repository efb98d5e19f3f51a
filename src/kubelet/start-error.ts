/** Why starting a container did not happen: a waiting reason (`CrashLoopBackOff`, `ErrImagePull`, ...) and its message. */
export class StartError extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'StartError';
  }
}
