/**
 * Step tables: each row is (state, event) -> (new state, exact action list), or -> a thrown
 * UnexpectedPacketError. Action lists are compared with deepEqual, so their ORDER is part of
 * every row. Rows also name the (state, event) pair they cover, so that each table can prove it
 * covers every pair of its machine.
 */
import test from 'ava'
import { UnexpectedPacketError } from '../../../lib/core/errors.js'
import type { Action, Transition } from '../../../lib/qos/types.js'

export type Outcome<S> =
  | { readonly state: S | undefined, readonly actions: readonly Action[], readonly sameState?: boolean }
  | { readonly throws: { readonly packetType: string, readonly state: string } }

export interface Row<S> {
  /** Starts with the spec IDs the row checks. */
  readonly title: string
  /** [state name or 'none', event name]: the pair of the machine this row covers. */
  readonly pair: readonly [string, string]
  /** The state given to the machine (for `sameState` rows). */
  readonly given?: S | undefined
  readonly run: () => Transition<S> | readonly Action[]
  readonly expect: Outcome<S>
}

export function registerRows<S> (rows: ReadonlyArray<Row<S>>): void {
  for (const row of rows) {
    test(row.title, t => {
      const expect = row.expect
      if ('throws' in expect) {
        const error = t.throws(() => row.run(), { instanceOf: UnexpectedPacketError })
        t.is(error?.packetType, expect.throws.packetType)
        t.is(error?.state, expect.throws.state)
        t.is(error?.reasonCode, 0x82, 'a protocol error (v5 reason 0x82 Protocol Error)')
        return
      }
      const result = row.run()
      const transition = isActionList(result) ? { state: undefined, actions: result } : result
      t.deepEqual(transition.actions, expect.actions, 'exact actions, in order')
      t.deepEqual(transition.state, expect.state, 'new state')
      if (expect.sameState === true) t.is(transition.state, row.given, 'the flow is left as it was')
      t.deepEqual(orderProblems(transition.actions), [])
    })
  }
}

function isActionList<S> (value: Transition<S> | readonly Action[]): value is readonly Action[] {
  return Array.isArray(value)
}

/** Runs every non-throwing row and returns its actions (for the cross-row order checks). */
export function actionLists<S> (rows: ReadonlyArray<Row<S>>): Array<readonly Action[]> {
  return rows.filter(r => !('throws' in r.expect)).map(r => {
    const result = r.run()
    return isActionList(result) ? result : result.actions
  })
}

/**
 * ARCHITECTURE rule 4 and the brief's ordering rules, as a checker that reports what is out of
 * order: `persist` precedes the send of PUBACK, PUBREC or PUBREL; `deliver` precedes the send of
 * PUBACK or PUBREC; `forget` precedes the send of PUBCOMP.
 */
export function orderProblems (actions: readonly Action[]): string[] {
  const problems: string[] = []
  const first = (type: Action['type']): number => actions.findIndex(a => a.type === type)
  const sendIndex = (packetType: string): number => actions.findIndex(a => a.type === 'send' && a.packet.type === packetType)
  const persist = first('persist')
  const deliver = first('deliver')
  const forget = first('forget')
  for (const ack of ['puback', 'pubrec', 'pubrel']) {
    const at = sendIndex(ack)
    if (at >= 0 && persist > at) problems.push(`persist after the send of ${ack.toUpperCase()}`)
  }
  for (const ack of ['puback', 'pubrec']) {
    const at = sendIndex(ack)
    if (at >= 0 && deliver > at) problems.push(`deliver after the send of ${ack.toUpperCase()}`)
  }
  const pubcomp = sendIndex('pubcomp')
  if (pubcomp >= 0 && forget > pubcomp) problems.push('forget after the send of PUBCOMP')
  return problems
}

/** Every pair of `states` x `events` that no row covers. */
export function uncoveredPairs<S> (rows: ReadonlyArray<Row<S>>, states: readonly string[], events: readonly string[]): string[] {
  const covered = new Set(rows.map(r => r.pair.join(' + ')))
  return states.flatMap(s => events.map(e => `${s} + ${e}`)).filter(p => !covered.has(p))
}
