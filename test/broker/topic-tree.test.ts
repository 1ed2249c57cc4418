import test from 'ava'
import { deepStrictEqual, strictEqual, ok } from 'node:assert/strict'
import fc from 'fast-check'
import { TopicTree, splitByRetainAsPublished } from '../../lib/broker/topic-tree.js'
import type { MatchResult, Subscription } from '../../lib/broker/topic-tree.js'
import { InvalidArgumentError } from '../../lib/core/errors.js'

// ---------------------------------------------------------------------------------------------
// Reference model, written independently of the tree: a flat list of subscriptions and a
// level-by-level matcher.

function referenceMatches (filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true // reached with i <= t.length levels matched: the parent counts
    if (i >= t.length) return false
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

function referenceSplit (filter: string): { group: string, topicFilter: string } | undefined {
  if (!filter.startsWith('$share/')) return undefined
  const rest = filter.slice('$share/'.length)
  const slash = rest.indexOf('/')
  return { group: rest.slice(0, slash), topicFilter: rest.slice(slash + 1) }
}

interface Normal {
  clients: Array<{ clientId: string, qos: number, ids: number[], filters: string[], rap: boolean }>
  shares: Array<{ group: string, topicFilter: string, members: string[] }>
}

function normalClient (clientId: string, subs: readonly Subscription[]): Normal['clients'][number] {
  return {
    clientId,
    qos: Math.max(...subs.map(s => s.qos)),
    ids: [...new Set(subs.flatMap(s => s.subscriptionIdentifier === undefined ? [] : [s.subscriptionIdentifier]))].sort((a, b) => a - b),
    filters: subs.map(s => s.filter).sort(),
    rap: subs.some(s => s.retainAsPublished === true)
  }
}

function referenceMatch (model: ReadonlyMap<string, Subscription>, topic: string, publisher?: string): Normal {
  const perClient = new Map<string, Subscription[]>()
  const shares = new Map<string, { group: string, topicFilter: string, members: string[] }>()
  for (const sub of model.values()) {
    const shared = referenceSplit(sub.filter)
    if (!referenceMatches(shared?.topicFilter ?? sub.filter, topic)) continue
    if (shared !== undefined) {
      const key = `${shared.group} ${shared.topicFilter}`
      const share = shares.get(key) ?? { ...shared, members: [] }
      share.members.push(`${sub.clientId}:${sub.qos}`)
      shares.set(key, share)
    } else if (!(sub.clientId === publisher && sub.noLocal === true)) {
      perClient.set(sub.clientId, [...(perClient.get(sub.clientId) ?? []), sub])
    }
  }
  return {
    clients: [...perClient].map(([id, subs]) => normalClient(id, subs)).sort((a, b) => a.clientId.localeCompare(b.clientId)),
    shares: [...shares.values()].map(s => ({ ...s, members: s.members.sort() })).sort((a, b) => `${a.group} ${a.topicFilter}`.localeCompare(`${b.group} ${b.topicFilter}`))
  }
}

function normalize (result: MatchResult): Normal {
  return {
    clients: result.clients.map(c => {
      const n = normalClient(c.clientId, c.subscriptions)
      // The tree's own merged fields must agree with its subscription list.
      if (c.qos !== n.qos || c.retainAsPublished !== n.rap || [...c.subscriptionIdentifiers].sort((a, b) => a - b).join() !== n.ids.join() || c.subscriptionIdentifiers.length !== n.ids.length) {
        throw new Error(`merged view of ${c.clientId} disagrees with its subscriptions`)
      }
      return n
    }).sort((a, b) => a.clientId.localeCompare(b.clientId)),
    shares: result.shares.map(s => ({ group: s.group, topicFilter: s.topicFilter, members: s.members.map(m => `${m.clientId}:${m.qos}`).sort() }))
      .sort((a, b) => `${a.group} ${a.topicFilter}`.localeCompare(`${b.group} ${b.topicFilter}`))
  }
}

/** Nodes a trie needs for these filters: one per distinct non-empty level prefix. */
function expectedNodeCount (model: ReadonlyMap<string, Subscription>): number {
  const prefixes = new Set<string>()
  for (const sub of model.values()) {
    const levels = (referenceSplit(sub.filter)?.topicFilter ?? sub.filter).split('/')
    for (let k = 1; k <= levels.length; k++) prefixes.add(JSON.stringify(levels.slice(0, k)))
  }
  return prefixes.size
}

// ---------------------------------------------------------------------------------------------
// Generators: few distinct levels so filters and topics collide often; '$' topics, empty
// levels, non-ASCII and case variants included.

const CLIENTS = ['c1', 'c2', 'c3', 'c4'] as const
const clientIdArb = fc.constantFrom(...CLIENTS)
const joinLevels = (levels: readonly string[]): string => { const s = levels.join('/'); return s === '' ? '/' : s }
const filterArb = fc.oneof(
  fc.tuple(fc.array(fc.constantFrom('a', 'b', '', 'A', '$x', 'é', '$SYS', '+'), { maxLength: 4 }), fc.boolean())
    .map(([levels, hash]) => joinLevels(hash ? [...levels, '#'] : levels)),
  // A few popular filters, so that several clients often share a node.
  fc.constantFrom('a/b', '+/b', 'a/#', '#', '$SYS/#', 'a//+')
)
const topicArb = fc.array(fc.constantFrom('a', 'b', '', 'A', '$x', 'é', '$SYS'), { minLength: 1, maxLength: 5 }).map(joinLevels)

const subArb: fc.Arbitrary<Subscription> = fc.record({
  clientId: clientIdArb,
  filter: filterArb,
  group: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
  qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
  id: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  noLocal: fc.boolean(),
  rap: fc.boolean()
}).map(r => {
  const sub: { -readonly [K in keyof Subscription]: Subscription[K] } = {
    clientId: r.clientId,
    filter: r.group === undefined ? r.filter : `$share/${r.group}/${r.filter}`,
    qos: r.qos
  }
  if (r.id !== undefined) sub.subscriptionIdentifier = r.id
  if (r.noLocal && r.group === undefined) sub.noLocal = true
  if (r.rap) sub.retainAsPublished = true
  return sub
})

type Op =
  | { kind: 'subscribe', sub: Subscription }
  | { kind: 'unsubscribe', pick: number, clientId: string, filter: string }
  | { kind: 'removeClient', clientId: string }
  | { kind: 'match', topic: string, publisher: string | undefined }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: subArb.map(sub => ({ kind: 'subscribe' as const, sub })) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), pick: fc.nat(), clientId: clientIdArb, filter: filterArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeClient' as const), clientId: clientIdArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('match' as const), topic: topicArb, publisher: fc.option(clientIdArb, { nil: undefined }) }) }
)

const keyOf = (clientId: string, filter: string): string => JSON.stringify([clientId, filter])

// Cache settings: none, tiny LRUs, and one that steps aside and comes back every few lookups.
const cacheArb = fc.constantFrom<ConstructorParameters<typeof TopicTree>[0]>(
  { matchCacheSize: 0 }, { matchCacheSize: 1 }, { matchCacheSize: 3 },
  { matchCacheSize: 3, matchCache: { window: 4, minHitRate: 0.5, bypassWindows: 1 } }
)

test('match agrees with a naive reference matcher through random subscribe, unsubscribe and removeClient (with and without cache)', t => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), fc.array(topicArb, { maxLength: 10 }), cacheArb, (ops, finalTopics, cacheOptions) => {
    const tree = new TopicTree(cacheOptions)
    const model = new Map<string, Subscription>()
    for (const op of ops) {
      switch (op.kind) {
        case 'subscribe': {
          const key = keyOf(op.sub.clientId, op.sub.filter)
          const { replaced } = tree.subscribe(op.sub)
          if (replaced !== model.has(key)) throw new Error(`replaced=${replaced} for ${key}`)
          model.set(key, op.sub)
          break
        }
        case 'unsubscribe': {
          // Half of the time an existing subscription, otherwise whatever was generated.
          const existing = [...model.values()]
          const target = op.pick % 2 === 0 && existing.length > 0 ? existing[op.pick % existing.length] as Subscription : op
          const removed = tree.unsubscribe(target.clientId, target.filter)
          if (removed !== model.delete(keyOf(target.clientId, target.filter))) throw new Error(`unsubscribe ${target.filter}`)
          break
        }
        case 'removeClient': {
          const removed = tree.removeClient(op.clientId).map(s => s.filter).sort()
          const expected = [...model.values()].filter(s => s.clientId === op.clientId).map(s => s.filter).sort()
          for (const f of expected) model.delete(keyOf(op.clientId, f))
          deepStrictEqual(removed, expected)
          break
        }
        case 'match': {
          // Three times, so that with a cache the later calls are answered from it.
          const expected = referenceMatch(model, op.topic, op.publisher)
          for (let k = 0; k < 3; k++) deepStrictEqual(normalize(tree.match(op.topic, op.publisher)), expected, op.topic)
          break
        }
      }
    }
    for (const topic of finalTopics) deepStrictEqual(normalize(tree.match(topic)), referenceMatch(model, topic), topic)
    strictEqual(tree.size, model.size)
    strictEqual(tree.nodeCount, expectedNodeCount(model))
    for (const clientId of CLIENTS) {
      deepStrictEqual(tree.subscriptionsOf(clientId).map(s => s.filter).sort(), [...model.values()].filter(s => s.clientId === clientId).map(s => s.filter).sort())
    }
    // Unsubscribing everything one by one leaves a bare root.
    for (const sub of model.values()) ok(tree.unsubscribe(sub.clientId, sub.filter))
    strictEqual(tree.size, 0)
    strictEqual(tree.nodeCount, 0)
    deepStrictEqual(normalize(tree.match('a')), { clients: [], shares: [] })
  }), { numRuns: 300 })
  t.pass()
})

test('many clients on one filter: removing them in any order keeps exactly the rest matching', t => {
  const ids = ['a', 'b', 'c', 'd', 'e', 'f']
  fc.assert(fc.property(fc.shuffledSubarray(ids, { minLength: 1 }), fc.boolean(), (order, viaRemoveClient) => {
    const tree = new TopicTree()
    for (const id of ids) tree.subscribe({ clientId: id, filter: 'x/+', qos: 0 })
    const left = new Set(ids)
    for (const id of order) {
      if (viaRemoveClient) tree.removeClient(id)
      else ok(tree.unsubscribe(id, 'x/+'))
      left.delete(id)
      deepStrictEqual(tree.match('x/y').clients.map(c => c.clientId).sort(), [...left].sort())
    }
    strictEqual(tree.nodeCount, left.size === 0 ? 0 : 2)
  }))
  t.pass()
})

test('the reference matcher itself knows the textbook cases', t => {
  t.true(referenceMatches('sport/#', 'sport'))
  t.true(referenceMatches('+/+', '/x'))
  t.false(referenceMatches('+/#', '$SYS/x'))
  t.false(referenceMatches('a/b/#', 'a'))
  t.false(referenceMatches('a/+', 'a'))
})

test('the node count follows the distinct filter prefixes and returns to 0', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x/y/z', qos: 0 })
  t.is(tree.nodeCount, 3)
  tree.subscribe({ clientId: 'b', filter: 'x/y/#', qos: 0 })
  tree.subscribe({ clientId: 'b', filter: 'x/+', qos: 0 })
  tree.subscribe({ clientId: 'c', filter: '$share/g/x/+', qos: 0 })
  t.is(tree.nodeCount, 5) // x, x/y, x/y/z, x/y/#, x/+
  t.true(tree.unsubscribe('a', 'x/y/z'))
  t.is(tree.nodeCount, 4)
  t.deepEqual(tree.removeClient('b').map(s => s.filter), ['x/y/#', 'x/+'])
  t.is(tree.nodeCount, 2) // x/+ still holds c's shared subscription
  t.is(tree.size, 1)
  t.deepEqual(tree.removeClient('c').map(s => s.filter), ['$share/g/x/+'])
  t.is(tree.nodeCount, 0)
  t.is(tree.size, 0)
  t.deepEqual(tree.removeClient('c'), [])
  t.false(tree.unsubscribe('c', 'x/+'))
})

test('a client with shared and non-shared subscriptions to the same topic appears in both parts of the match', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x', qos: 1 })
  tree.subscribe({ clientId: 'a', filter: '$share/g/x', qos: 0 })
  tree.subscribe({ clientId: 'b', filter: '$share/g/x', qos: 2 })
  tree.subscribe({ clientId: 'b', filter: '$share/h/#', qos: 2 })
  const m = tree.match('x')
  t.deepEqual(m.clients.map(c => c.clientId), ['a'])
  t.deepEqual(m.shares.map(s => s.filter).sort(), ['$share/g/x', '$share/h/#'])
  t.deepEqual(m.shares.find(s => s.group === 'g')?.members.map(s => s.clientId), ['a', 'b'])
  t.deepEqual(tree.subscriptionsOf('a').map(s => s.filter), ['x', '$share/g/x'])
  // Leaving the group: the share keeps its other member; leaving it empty removes it.
  t.true(tree.unsubscribe('a', '$share/g/x'))
  t.deepEqual(tree.match('x').shares.find(s => s.group === 'g')?.members.map(s => s.clientId), ['b'])
  tree.removeClient('b')
  t.deepEqual(tree.match('x').shares, [])
})

test('pickMember takes turns round-robin, skips ineligible members and gives undefined when none is eligible', t => {
  const tree = new TopicTree()
  for (const id of ['a', 'b', 'c']) tree.subscribe({ clientId: id, filter: '$share/g/t', qos: 1 })
  const share = tree.match('t').shares[0]
  if (share === undefined) { t.fail(); return }
  const pick = (ok?: (id: string) => boolean): string | undefined => tree.pickMember(share, ok === undefined ? undefined : s => ok(s.clientId))?.clientId
  t.deepEqual([pick(), pick(), pick(), pick()], ['a', 'b', 'c', 'a'])
  t.is(pick(id => id !== 'b'), 'c') // b's turn, but b is offline
  t.is(pick(id => id !== 'b'), 'a')
  t.is(pick(() => false), undefined)
  t.is(pick(), 'b') // a failed pick does not move the turn
  // A member leaving keeps the order of the others; a replaced member keeps its place.
  tree.subscribe({ clientId: 'a', filter: '$share/g/t', qos: 2 })
  t.true(tree.unsubscribe('b', '$share/g/t'))
  t.deepEqual([pick(), pick(), pick()], ['c', 'a', 'c'])
  t.is(share.members.find(m => m.clientId === 'a')?.qos, 2)
  tree.removeClient('a')
  tree.removeClient('c')
  t.is(pick(), undefined)
})

test('removing the member whose turn is next hands the turn to the following member', t => {
  const tree = new TopicTree()
  for (const id of ['a', 'b', 'c', 'd']) tree.subscribe({ clientId: id, filter: '$share/g/t', qos: 0 })
  const share = tree.match('t').shares[0]
  if (share === undefined) { t.fail(); return }
  t.is(tree.pickMember(share)?.clientId, 'a')
  tree.removeClient('b') // b was next
  t.is(tree.pickMember(share)?.clientId, 'c')
  tree.removeClient('a') // before the cursor
  t.deepEqual([tree.pickMember(share)?.clientId, tree.pickMember(share)?.clientId], ['d', 'c'])
  tree.removeClient('d') // the last member, whose turn was next: wrap to the start
  t.is(tree.pickMember(share)?.clientId, 'c')
})

test('the match cache admits a topic on its second miss and then returns the stored result', t => {
  const tree = new TopicTree({ matchCacheSize: 4 })
  tree.subscribe({ clientId: 'a', filter: 'x/#', qos: 0 })
  const once = tree.match('x/1') // first miss: only remembered
  const twice = tree.match('x/1') // second miss: admitted
  t.not(twice, once)
  t.is(tree.match('x/1'), twice)
  t.is(tree.match('x/1'), twice)
  t.deepEqual(twice.clients.map(c => c.clientId), ['a'])
})

test('the match cache forgets everything on any change of the subscriptions', t => {
  const tree = new TopicTree({ matchCacheSize: 2 })
  const warm = warmer(tree)
  tree.subscribe({ clientId: 'a', filter: 'x/#', qos: 0 })
  const first = warm('x/1')
  t.is(tree.match('x/1'), first)
  tree.subscribe({ clientId: 'b', filter: 'x/1', qos: 1 })
  const second = tree.match('x/1')
  t.not(second, first)
  t.deepEqual(second.clients.map(c => c.clientId).sort(), ['a', 'b'])
  warm('x/1')
  tree.subscribe({ clientId: 'b', filter: 'x/1', qos: 2 }) // replacement changes the result too
  t.is(tree.match('x/1').clients.find(c => c.clientId === 'b')?.qos, 2)
  warm('x/1')
  t.true(tree.unsubscribe('b', 'x/1'))
  t.deepEqual(tree.match('x/1').clients.map(c => c.clientId), ['a'])
  warm('x/1')
  tree.removeClient('a')
  t.deepEqual(tree.match('x/1').clients, [])
  warm('x/1')
  tree.subscribe({ clientId: 'c', filter: '$share/g/x/1', qos: 0 })
  t.deepEqual(tree.match('x/1').shares.map(s => s.filter), ['$share/g/x/1'])
})

/** Matches a topic twice: it enters the cache on its second miss, so the second result is the cached one. */
function warmer (tree: TopicTree): (topic: string) => MatchResult {
  return (topic) => { tree.match(topic); return tree.match(topic) }
}

/** A tree whose cache holds two topics, with one subscription ('#') that every topic matches. */
function cacheOfTwo (): { tree: TopicTree, warm: (topic: string) => MatchResult } {
  const tree = new TopicTree({ matchCacheSize: 2 })
  tree.subscribe({ clientId: 'a', filter: '#', qos: 0 })
  return { tree, warm: warmer(tree) }
}

test('the match cache evicts the least recently used topic', t => {
  const { tree, warm } = cacheOfTwo()
  const a = warm('a')
  const b = warm('b')
  t.is(tree.match('a'), a) // a is now the most recent
  warm('c') // evicts b
  t.is(tree.match('a'), a)
  t.is(tree.match('c'), tree.match('c'))
  t.not(tree.match('b'), b)
})

test('the match cache keeps its LRU order through repeated hits on the newest topic', t => {
  const { tree, warm } = cacheOfTwo()
  const a = warm('a')
  const b = warm('b')
  t.is(tree.match('b'), b) // already the newest: left in place
  t.is(tree.match('b'), b)
  t.is(tree.match('a'), a) // a becomes the newest, b the oldest
  warm('c') // evicts b
  t.is(tree.match('a'), a)
  t.not(tree.match('b'), b)
  tree.subscribe({ clientId: 'b', filter: 'a', qos: 1 }) // clears the cache
  t.deepEqual(tree.match('a').clients.map(c => c.clientId).sort(), ['a', 'b'])
})

/** A tree whose cache judges its hit rate every 8 lookups and, below 1 in 2, steps aside for 16. */
function adaptiveTree (): TopicTree {
  const tree = new TopicTree({ matchCacheSize: 8, matchCache: { window: 8, minHitRate: 0.5, bypassWindows: 2 } })
  tree.subscribe({ clientId: 'a', filter: 'x/#', qos: 0 })
  return tree
}

/** Matches `count` topics never seen before. */
function distinct (tree: TopicTree, count: number, tag: string): void {
  for (let i = 0; i < count; i++) tree.match(`x/${tag}/${i}`)
}

test('the match cache steps aside on a stream of distinct topics and comes back when topics repeat', t => {
  const tree = adaptiveTree()
  t.false(tree.matchCacheBypassed)
  distinct(tree, 8, 'u') // one window, no hit
  t.true(tree.matchCacheBypassed)
  // Aside: nothing is admitted, a topic not kept is computed afresh every time (and still right).
  const a = tree.match('x/hot')
  const b = tree.match('x/hot')
  const c = tree.match('x/hot')
  t.not(b, a)
  t.not(c, b)
  t.deepEqual(c.clients.map(d => d.clientId), ['a'])
  distinct(tree, 13, 'v') // the rest of the 16 lookups aside
  t.false(tree.matchCacheBypassed) // probing
  // The probe window: a repeating topic is admitted on its second miss, then hits.
  const results = Array.from({ length: 8 }, () => tree.match('x/hot'))
  t.false(tree.matchCacheBypassed) // 6 hits of 8: stays on
  t.is(results[7], results[2])
  t.is(tree.match('x/hot'), results[2]!)
})

test('the match cache steps aside again when a probe finds the hit rate still low', t => {
  const tree = adaptiveTree()
  distinct(tree, 8, 'u')
  distinct(tree, 16, 'v') // aside
  t.false(tree.matchCacheBypassed)
  distinct(tree, 8, 'w') // the probe window: no hit
  t.true(tree.matchCacheBypassed)
})

test('while aside the match cache answers from the entries it kept, and a window of hits brings it back on', t => {
  const tree = adaptiveTree()
  const warm = warmer(tree)
  const kept = ['x/h1', 'x/h2', 'x/h3'].map(warm) // admitted: 6 lookups
  distinct(tree, 2, 'u') // ends the window: 8 lookups, no hit
  t.true(tree.matchCacheBypassed)
  for (let i = 0; i < 7; i++) t.is(tree.match(`x/h${1 + i % 3}`), kept[i % 3]!)
  t.true(tree.matchCacheBypassed)
  tree.match('x/h1') // the 8th hit of the window: back on, long before the pause would end
  t.false(tree.matchCacheBypassed)
})

/** Matches new topics until the cache is on again (its pause over). */
function untilOn (tree: TopicTree): void {
  for (let i = 0; i < 100 && tree.matchCacheBypassed; i++) tree.match(`x/pause/${i}`)
}

test('a subscription change while the match cache steps aside still invalidates what it kept', t => {
  const tree = adaptiveTree()
  const warm = warmer(tree)
  const kept = warm('x/1') // cached
  distinct(tree, 6, 'u') // ends the window: 8 lookups, no hit
  t.true(tree.matchCacheBypassed)
  t.is(tree.match('x/1'), kept) // still answered from the kept entry
  tree.subscribe({ clientId: 'b', filter: 'x/1', qos: 1 })
  t.true(tree.matchCacheBypassed)
  const aside = tree.match('x/1')
  t.not(aside, kept)
  t.deepEqual(aside.clients.map(d => d.clientId).sort(), ['a', 'b'])
  untilOn(tree)
  t.false(tree.matchCacheBypassed)
  const after = tree.match('x/1')
  t.not(after, kept)
  t.deepEqual(after.clients.map(d => d.clientId).sort(), ['a', 'b'])
  // And an unsubscribe during the next pause too.
  const again = warm('x/1')
  distinct(tree, 8, 'w')
  t.true(tree.matchCacheBypassed)
  t.true(tree.unsubscribe('b', 'x/1'))
  t.not(tree.match('x/1'), again)
  t.deepEqual(tree.match('x/1').clients.map(d => d.clientId), ['a'])
  untilOn(tree)
  t.deepEqual(tree.match('x/1').clients.map(d => d.clientId), ['a'])
})

test('matchCacheSize must be a non-negative integer', t => {
  t.throws(() => new TopicTree({ matchCacheSize: -1 }), { instanceOf: InvalidArgumentError })
  t.throws(() => new TopicTree({ matchCacheSize: 1.5 }), { instanceOf: InvalidArgumentError })
})

test('No Local filtering for the publisher never alters the cached result seen by other publishers', t => {
  const tree = new TopicTree({ matchCacheSize: 4 })
  tree.subscribe({ clientId: 'p', filter: 't', qos: 1, noLocal: true })
  tree.subscribe({ clientId: 'q', filter: 't', qos: 0 })
  tree.match('t')
  const full = tree.match('t') // now cached
  t.deepEqual(tree.match('t', 'p').clients.map(c => c.clientId), ['q'])
  t.deepEqual(tree.match('t', 'q').clients.map(c => c.clientId).sort(), ['p', 'q'])
  t.is(tree.match('t', 'q'), full) // nothing to drop: the cached object itself
  t.deepEqual(full.clients.map(c => c.clientId).sort(), ['p', 'q'])
})

test('a given shareGroup must agree with the filter', t => {
  const tree = new TopicTree()
  t.throws(() => tree.subscribe({ clientId: 'a', filter: '$share/g/x', qos: 0, shareGroup: 'h' }), { instanceOf: InvalidArgumentError })
  t.throws(() => tree.subscribe({ clientId: 'a', filter: 'x', qos: 0, shareGroup: 'g' }), { instanceOf: InvalidArgumentError })
  t.false(tree.subscribe({ clientId: 'a', filter: '$share/g/x', qos: 0, shareGroup: 'g' }).replaced)
  t.is(tree.size, 1)
})

test('the tree stores and returns the caller\'s own subscription objects, extra fields included', t => {
  interface Tagged extends Subscription { readonly tag: string }
  const tree = new TopicTree<Tagged>()
  const sub: Tagged = { clientId: 'a', filter: 'x/+', qos: 1, tag: 'mine' }
  tree.subscribe(sub)
  t.is(tree.get('a', 'x/+'), sub)
  t.is(tree.match('x/y').clients[0]?.subscriptions[0], sub)
  t.is(tree.get('a', 'x/#'), undefined)
})

test('splitByRetainAsPublished leaves a delivery whose subscriptions agree as it is', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x', qos: 0, retainAsPublished: true })
  tree.subscribe({ clientId: 'a', filter: '#', qos: 1, retainAsPublished: true })
  tree.subscribe({ clientId: 'b', filter: 'x', qos: 0 })
  for (const d of tree.match('x').clients) t.deepEqual(splitByRetainAsPublished(d), [d])
})

test('a failed subscribe leaves no trace', t => {
  const tree = new TopicTree()
  t.throws(() => tree.subscribe({ clientId: 'a', filter: 'x/#/y', qos: 0 }))
  t.throws(() => tree.subscribe({ clientId: 'a', filter: '$share/g/x', qos: 0, noLocal: true }))
  t.is(tree.size, 0)
  t.is(tree.nodeCount, 0)
  t.deepEqual(tree.subscriptionsOf('a'), [])
})
