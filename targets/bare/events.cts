// upstream(readable-stream@4.8.0): Node's `events` for bundled code on Bare, built on
// bare-events. Code written for
// Node.js before classes initialises a subclass by calling the constructor as a
// function (readable-stream's legacy Stream does `EE.call(this, opts)`), and
// bare-events' EventEmitter is a class, which throws when called. This constructor
// accepts both forms; its prototype and static helpers are bare-events' own, so
// `instanceof`, `class X extends EventEmitter` and `events.once()` are unchanged.
// CommonJS because its users do `const EE = require('events'); EE.call(this)`.
const BareEventEmitter = require('bare-events') as typeof import('bare-events')

interface Emitter { _events?: Record<string | symbol, unknown> }

function EventEmitter (this: Emitter): Emitter | undefined {
  if (new.target !== undefined) return Reflect.construct(BareEventEmitter, [], new.target) as Emitter
  // bare-events keeps all of an emitter's state in `_events` (its methods create it
  // when missing), so a plain call has nothing else to set up.
  if (this._events === undefined) this._events = Object.create(null) as Record<string | symbol, unknown>
  return undefined
}

EventEmitter.prototype = BareEventEmitter.prototype
// Statics (once, on, errors, ...) come from bare-events through the prototype chain;
// these two would otherwise name or shadow bare-events' own class.
Object.setPrototypeOf(EventEmitter, BareEventEmitter)
Object.defineProperties(EventEmitter, {
  EventEmitter: { value: EventEmitter, enumerable: true },
  defaultMaxListeners: {
    enumerable: true,
    get: () => BareEventEmitter.defaultMaxListeners,
    set: (n: number) => { BareEventEmitter.defaultMaxListeners = n }
  }
})

module.exports = EventEmitter
