/**
 * Normative tests of subscription matching: topic names against topic filters (section 4.7),
 * shared subscriptions (4.8.2), overlapping subscriptions (3.3.4 / 3.3.5) and subscription
 * replacement (3.8.4, 3.10.4), as decided by the broker's TopicTree.
 */
import test from 'ava'
import { TopicTree, splitByRetainAsPublished } from '../../lib/broker/topic-tree.js'
import { InvalidTopicFilterError, ProtocolViolationError } from '../../lib/core/errors.js'

/** Whether a lone subscription to `filter` receives a message published to `topic`. */
function matches (filter: string, topic: string): boolean {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'c', filter, qos: 0 })
  return tree.match(topic).clients.length === 1
}

/** The filters that match `topic`, out of a tree holding one subscription per filter. */
function matching (filters: readonly string[], topic: string): string[] {
  const tree = new TopicTree()
  filters.forEach((filter, i) => tree.subscribe({ clientId: `c${i}`, filter, qos: 0 }))
  return tree.match(topic).clients.flatMap(c => c.subscriptions.map(s => s.filter)).sort()
}

test("v3.1.1 [MQTT-4.7.1-2] v5 [MQTT-4.7.1-1] '#' matches the parent level and every child level", t => {
  t.true(matches('sport/tennis/player1/#', 'sport/tennis/player1'))
  t.true(matches('sport/tennis/player1/#', 'sport/tennis/player1/ranking'))
  t.true(matches('sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon'))
  t.true(matches('sport/#', 'sport'))
  t.true(matches('sport/#', 'sport/'))
  t.true(matches('#', 'sport/tennis'))
  t.true(matches('#', '/'))
  t.false(matches('sport/tennis/#', 'sport'))
  t.false(matches('sport/#', 'sports'))
  t.false(matches('sport/#', 'other/sport'))
})

test("v3.1.1 [MQTT-4.7.1-2] v5 [MQTT-4.7.1-1] a filter with '#' anywhere but alone at the last level is refused", t => {
  const tree = new TopicTree()
  for (const filter of ['sport/tennis#', 'sport/tennis/#/ranking', '#/a', 'a/#b', '##']) {
    t.throws(() => tree.subscribe({ clientId: 'c', filter, qos: 0 }), { instanceOf: InvalidTopicFilterError }, filter)
  }
  t.is(tree.size, 0)
  t.is(tree.nodeCount, 0)
})

test("v3.1.1 [MQTT-4.7.1-3] v5 [MQTT-4.7.1-2] '+' matches exactly one level, an empty one included", t => {
  t.true(matches('sport/tennis/+', 'sport/tennis/player1'))
  t.true(matches('sport/tennis/+', 'sport/tennis/player2'))
  t.false(matches('sport/tennis/+', 'sport/tennis/player1/ranking'))
  t.false(matches('sport/+', 'sport'))
  t.true(matches('sport/+', 'sport/'))
  t.true(matches('+', 'sport'))
  t.false(matches('+', '/sport'))
  t.true(matches('+/+', '/finance'))
  t.true(matches('/+', '/finance'))
  t.true(matches('+/tennis/#', 'sport/tennis/player1'))
  t.true(matches('a/+/c', 'a//c'))
  t.false(matches('a/+/c', 'a/c'))
})

test("v3.1.1 [MQTT-4.7.1-3] v5 [MQTT-4.7.1-2] a filter with '+' sharing its level with other characters is refused", t => {
  const tree = new TopicTree()
  for (const filter of ['sport+', 'sport/+tennis', 'a/b+/c', '++']) {
    t.throws(() => tree.subscribe({ clientId: 'c', filter, qos: 0 }), { instanceOf: InvalidTopicFilterError }, filter)
  }
  t.is(tree.size, 0)
})

test("v3.1.1 [MQTT-4.7.2-1] v5 [MQTT-4.7.2-1] filters starting with a wildcard never match topic names starting with '$'", t => {
  t.false(matches('#', '$SYS/broker/clients'))
  t.false(matches('+/monitor/Clients', '$SYS/monitor/Clients'))
  t.false(matches('+', '$SYS'))
  t.false(matches('+/#', '$SYS'))
  t.false(matches('$share/g/#', '$SYS/broker'))
  t.true(matches('$SYS/#', '$SYS/monitor/Clients'))
  t.true(matches('$SYS/#', '$SYS'))
  t.true(matches('$SYS/monitor/+', '$SYS/monitor/Clients'))
  // Only the first character of the topic name counts: '$' later on is an ordinary character.
  t.true(matches('#', 'a/$SYS'))
  t.true(matches('+/+', 'a/$b'))
  t.deepEqual(matching(['#', '+/x', '$SYS/x', '$SYS/+', '$SYS/#', '+/+'], '$SYS/x'), ['$SYS/#', '$SYS/+', '$SYS/x'])
})

test('v3.1.1 [MQTT-4.7.3-4] v5 [MQTT-4.7.3-4] levels compare exactly: case-sensitive, no Unicode normalization, empty levels count', t => {
  t.false(matches('ACCOUNTS', 'Accounts'))
  t.true(matches('Accounts', 'Accounts'))
  t.false(matches('caf\u00e9', 'cafe\u0301')) // NFC and NFD spellings of the same word
  t.false(matches('a ', 'a'))
  t.false(matches('a//b', 'a/b'))
  t.true(matches('a//b', 'a//b'))
  t.false(matches('/a', 'a'))
  t.false(matches('a/', 'a'))
  t.true(matches('\u{1F600}/+', '\u{1F600}/x'))
})

test('v3.1.1 [MQTT-4.7.3-1] v5 [MQTT-4.7.3-1] an empty topic filter is refused', t => {
  const tree = new TopicTree()
  t.throws(() => tree.subscribe({ clientId: 'c', filter: '', qos: 0 }), { instanceOf: InvalidTopicFilterError })
  t.throws(() => tree.subscribe({ clientId: 'c', filter: '$share/g/', qos: 0 }), { instanceOf: InvalidTopicFilterError })
  t.is(tree.size, 0)
})

test('v3.1.1 [MQTT-4.7.3-2] v5 [MQTT-4.7.3-2] a topic filter containing U+0000 is refused', t => {
  const tree = new TopicTree()
  t.throws(() => tree.subscribe({ clientId: 'c', filter: 'a/\u0000', qos: 0 }), { instanceOf: InvalidTopicFilterError })
  t.is(tree.size, 0)
})

test('v3.1.1 [MQTT-4.5.0-1] v5 [MQTT-4.5.0-1] every client with a matching subscription gets the message', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x/y', qos: 0 })
  tree.subscribe({ clientId: 'b', filter: 'x/+', qos: 1 })
  tree.subscribe({ clientId: 'c', filter: '#', qos: 2 })
  tree.subscribe({ clientId: 'd', filter: 'x/z', qos: 2 })
  t.deepEqual(tree.match('x/y').clients.map(c => c.clientId).sort(), ['a', 'b', 'c'])
})

test('v3.1.1 [MQTT-3.3.5-1] v5 [MQTT-3.3.4-2] overlapping subscriptions of a client give one delivery at their highest QoS', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x/y', qos: 0 })
  tree.subscribe({ clientId: 'a', filter: 'x/+', qos: 2 })
  tree.subscribe({ clientId: 'a', filter: '#', qos: 1 })
  const { clients } = tree.match('x/y')
  t.is(clients.length, 1)
  t.is(clients[0]?.qos, 2)
  t.deepEqual(clients[0]?.subscriptions.map(s => s.filter).sort(), ['#', 'x/+', 'x/y'])
  t.is(tree.match('x/q').clients[0]?.qos, 2)
  t.is(tree.match('q').clients[0]?.qos, 1)
})

test('v5 [MQTT-3.3.4-3] [MQTT-3.3.4-4] the single copy lists the Subscription Identifier of every matching subscription', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x/y', qos: 0, subscriptionIdentifier: 7 })
  tree.subscribe({ clientId: 'a', filter: 'x/+', qos: 1, subscriptionIdentifier: 12 })
  tree.subscribe({ clientId: 'a', filter: 'x/#', qos: 0 }) // no identifier: contributes none
  tree.subscribe({ clientId: 'a', filter: 'z', qos: 0, subscriptionIdentifier: 99 }) // does not match
  const d = tree.match('x/y').clients
  t.is(d.length, 1)
  t.deepEqual([...(d[0]?.subscriptionIdentifiers ?? [])].sort((p, q) => p - q), [7, 12])
  t.deepEqual(tree.match('x/w').clients[0]?.subscriptionIdentifiers, [12])
  t.deepEqual(tree.match('x').clients[0]?.subscriptionIdentifiers, [])
})

test('v5 [MQTT-3.3.4-5] per-subscription copies, made when Retain As Published differs, each carry their own identifiers', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x/y', qos: 2, subscriptionIdentifier: 1, retainAsPublished: true })
  tree.subscribe({ clientId: 'a', filter: 'x/+', qos: 0, subscriptionIdentifier: 2 })
  tree.subscribe({ clientId: 'a', filter: '#', qos: 1, subscriptionIdentifier: 3 })
  const [delivery] = tree.match('x/y').clients
  if (delivery === undefined) { t.fail('no delivery'); return }
  const copies = splitByRetainAsPublished(delivery)
  t.is(copies.length, 2)
  const keep = copies.find(c => c.retainAsPublished)
  const clear = copies.find(c => !c.retainAsPublished)
  t.deepEqual(keep?.subscriptionIdentifiers, [1])
  t.is(keep?.qos, 2)
  t.deepEqual([...(clear?.subscriptionIdentifiers ?? [])].sort(), [2, 3])
  t.is(clear?.qos, 1)
})

test('v3.1.1 [MQTT-3.8.4-3] v5 [MQTT-3.8.4-3] subscribing again with an identical filter replaces the subscription', t => {
  const tree = new TopicTree()
  t.deepEqual(tree.subscribe({ clientId: 'a', filter: 'x/+', qos: 0 }), { replaced: false })
  const again = tree.subscribe({ clientId: 'a', filter: 'x/+', qos: 2, subscriptionIdentifier: 4 })
  t.true(again.replaced)
  t.is(again.previous?.qos, 0)
  t.is(tree.size, 1)
  t.deepEqual(tree.subscriptionsOf('a').map(s => s.qos), [2])
  const [d] = tree.match('x/y').clients
  t.is(d?.qos, 2)
  t.deepEqual(d?.subscriptionIdentifiers, [4])
  // A different filter string is a different subscription, even where it matches the same topics.
  t.false(tree.subscribe({ clientId: 'a', filter: 'x/#', qos: 1 }).replaced)
  t.false(tree.subscribe({ clientId: 'a', filter: '$share/g/x/+', qos: 1 }).replaced)
  t.is(tree.size, 3)
})

test('v3.1.1 [MQTT-3.10.4-1] v5 [MQTT-3.10.4-1] unsubscribe deletes only the subscription whose filter is character-for-character equal', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: 'x/y', qos: 0 })
  tree.subscribe({ clientId: 'a', filter: 'x/+', qos: 1 })
  t.false(tree.unsubscribe('a', 'x/#')) // matches the same topics, but is a different filter
  t.false(tree.unsubscribe('a', 'X/y'))
  t.false(tree.unsubscribe('b', 'x/y'))
  t.true(tree.unsubscribe('a', 'x/+'))
  t.is(tree.size, 1)
  t.deepEqual(tree.match('x/y').clients.map(c => c.subscriptions.map(s => s.filter)), [['x/y']])
  t.deepEqual(tree.match('x/z').clients, [])
})

test('v5 [MQTT-3.8.3-3] No Local: the publisher gets nothing through its No Local subscriptions, the rest still deliver', t => {
  const tree = new TopicTree({ matchCacheSize: 8 })
  tree.subscribe({ clientId: 'pub', filter: 'x/y', qos: 2, noLocal: true, subscriptionIdentifier: 1 })
  tree.subscribe({ clientId: 'other', filter: 'x/y', qos: 1, noLocal: true })
  t.deepEqual(tree.match('x/y', 'pub').clients.map(c => c.clientId), ['other'])
  // Overlapping subscription without No Local: one delivery, merged from that subscription only.
  tree.subscribe({ clientId: 'pub', filter: 'x/+', qos: 0, subscriptionIdentifier: 2 })
  const own = tree.match('x/y', 'pub').clients.find(c => c.clientId === 'pub')
  t.is(own?.qos, 0)
  t.deepEqual(own?.subscriptionIdentifiers, [2])
  t.deepEqual(own?.subscriptions.map(s => s.filter), ['x/+'])
  // Another publisher: both of pub's subscriptions deliver (and the cached result is intact).
  const seen = tree.match('x/y', 'someone').clients.find(c => c.clientId === 'pub')
  t.is(seen?.qos, 2)
  t.deepEqual([...(seen?.subscriptionIdentifiers ?? [])].sort(), [1, 2])
})

test('v5 [MQTT-3.8.3-4] No Local on a shared subscription is refused as a protocol error', t => {
  const tree = new TopicTree()
  t.throws(() => tree.subscribe({ clientId: 'a', filter: '$share/g/x', qos: 0, noLocal: true }), { instanceOf: ProtocolViolationError })
  t.is(tree.size, 0)
})

test('v5 [MQTT-4.8.2-1] [MQTT-4.8.2-2] a shared filter is $share/ShareName/filter with a non-empty ShareName without wildcards', t => {
  const tree = new TopicTree()
  for (const filter of ['$share//x', '$share/g', '$share/g+/x', '$share/#/x', '$share/+/x']) {
    t.throws(() => tree.subscribe({ clientId: 'a', filter, qos: 0 }), { instanceOf: InvalidTopicFilterError }, filter)
  }
  t.is(tree.size, 0)
  tree.subscribe({ clientId: 'a', filter: '$share/g/x/+', qos: 1 })
  const { clients, shares } = tree.match('x/y')
  t.deepEqual(clients, [])
  t.deepEqual(shares.map(s => [s.group, s.topicFilter]), [['g', 'x/+']])
  // '$share' without the trailing '/' is an ordinary filter level.
  tree.subscribe({ clientId: 'b', filter: '$shared/x', qos: 0 })
  t.deepEqual(tree.match('$shared/x').clients.map(c => c.clientId), ['b'])
})

test('v5 [MQTT-4.8.2-3] a shared message goes to one member, as that member subscribed (its own granted QoS)', t => {
  const tree = new TopicTree()
  tree.subscribe({ clientId: 'a', filter: '$share/g/x', qos: 0 })
  tree.subscribe({ clientId: 'b', filter: '$share/g/x', qos: 2 })
  const [share] = tree.match('x').shares
  if (share === undefined) { t.fail('no share'); return }
  const picks = [tree.pickMember(share), tree.pickMember(share), tree.pickMember(share)]
  t.deepEqual(picks.map(p => [p?.clientId, p?.qos]), [['a', 0], ['b', 2], ['a', 0]])
})
