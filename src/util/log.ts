// One line per significant event, as text or JSON.

export type LogFormat = 'text' | 'json';

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export function createLogger(format: LogFormat, write: (line: string) => void = (l) => process.stderr.write(l + '\n'), component = ''): Logger {
  const emit = (level: string, message: string, fields: Record<string, unknown> = {}) => {
    const time = new Date().toISOString();
    if (format === 'json') {
      write(JSON.stringify({ time, level, ...(component ? { component } : {}), msg: message, ...fields }));
      return;
    }
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    write(`${time} ${level.toUpperCase().padEnd(5)} ${component ? `[${component}] ` : ''}${message}${extra ? ' ' + extra : ''}`);
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (c) => createLogger(format, write, component ? `${component}/${c}` : c),
  };
}

export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
