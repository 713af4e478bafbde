import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type Parent = Pick<Logger, 'child'> & Partial<Pick<Logger, 'isLevelEnabled'>> & { level: string };

/**
 * A child logger made on its first line: pino's child() (bindings serialized, level methods
 * bound) cost more than a request's routing, and nearly every request and operation logs
 * nothing. A line below the parent's level makes none.
 */
class LazyChild {
  private made?: Logger;

  constructor(
    private readonly parent: Parent,
    private readonly bindings: Bindings,
    private readonly options?: ChildLoggerOptions,
  ) {}

  private logger(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options) as Logger);
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.made && this.parent.isLevelEnabled?.(level) === false) return;
    (this.logger()[level] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled?.(level) ?? true;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger().child(bindings, options);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}
}

/** `parent.child(bindings)`, made when it first logs (an operation's log for runSteps). */
export function lazyChild(parent: Parent, bindings: Bindings): Logger {
  return new LazyChild(parent, bindings) as unknown as Logger;
}

/** fastify's childLoggerFactory: each request's logger (with its reqId) made when it first logs. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChild(logger as unknown as Parent, bindings, options) as unknown as FastifyBaseLogger;
}
