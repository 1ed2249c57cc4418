import test from 'ava'
import { withBroker, take, within } from './_helpers.js'

for (const version of [5, 4, 3] as const) {
  test(`v${version}: publish at QoS 0, 1 and 2 reaches a subscriber's iterator and 'message' listener`, async t => {
    const h = await withBroker(t)
    const sub = await h.client({ protocolVersion: version })
    const pub = await h.client({ protocolVersion: version })
    const subscription = await sub.subscribe('a/+', { qos: 2 })
    t.deepEqual(subscription.granted, [2])
    const heard: string[] = []
    sub.on('message', (topic, payload) => { heard.push(`${topic}=${payload.toString()}`) })
    const got = take(subscription, 3)
    await pub.publish('a/0', 'zero', { qos: 0 })
    await pub.publish('a/1', 'one', { qos: 'at-least-once' })
    await pub.publish('a/2', Buffer.from('two'), { qos: 'exactly-once' })
    const messages = await within(got)
    t.deepEqual(messages.map(m => [m.topic, m.payload.toString(), m.qos]), [['a/0', 'zero', 0], ['a/1', 'one', 1], ['a/2', 'two', 2]])
    t.deepEqual(heard, ['a/0=zero', 'a/1=one', 'a/2=two'])
  })
}
