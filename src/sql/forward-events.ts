/** Events of a wrapped pool or client, re-emitted by its wrapper. */
import type { EventEmitter } from 'node:events';

/**
 * Re-emit `source`'s events on `target`, each event from the moment someone
 * first listens to it on `target` (so an unheard `error` still behaves as it
 * does on the wrapped object). `map` turns arguments (a raw pooled client)
 * into what the wrapper's listeners expect (its wrapper); `around` runs each
 * re-emission (to set state that holds while the listeners run).
 */
export function forwardEvents(
  target: EventEmitter,
  source: EventEmitter,
  map: (arg: unknown) => unknown,
  around: (event: string | symbol, args: readonly unknown[], emit: () => void) => void = (_e, _a, emit) =>
    emit(),
): void {
  const forwarded = new Set<string | symbol>();
  target.on('newListener', (event: string | symbol) => {
    if (event === 'newListener' || event === 'removeListener' || forwarded.has(event)) return;
    forwarded.add(event);
    source.on(event, (...args: unknown[]) => around(event, args, () => target.emit(event, ...args.map(map))));
  });
}
