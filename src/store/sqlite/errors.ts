/** Another process (or another open store in this one) holds the data directory. */
export class DataDirectoryInUseError extends Error {
  readonly code = 'DataDirectoryInUse';

  constructor(readonly path: string) {
    super(`store data directory ${path} is in use by another process; only one k8ts server may open it at a time`);
    this.name = 'DataDirectoryInUseError';
  }
}
