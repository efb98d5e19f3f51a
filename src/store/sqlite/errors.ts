/** Another process (or another open store in this one) holds the data directory. */
export class DataDirectoryInUseError extends Error {
  readonly code = 'DataDirectoryInUse';

  /** `pid`: the process known to hold it (a k8ts's pid file names it; the store's lock does not). */
  constructor(
    readonly path: string,
    readonly pid?: number,
  ) {
    super(
      pid === undefined
        ? `store data directory ${path} is in use by another process; only one k8ts server may open it at a time`
        : `data directory ${path} is in use by another process (pid ${pid}); only one k8ts may run on it at a time`,
    );
    this.name = 'DataDirectoryInUseError';
  }
}
