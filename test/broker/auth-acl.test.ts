import test from 'ava'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError } from '../../lib/core/errors.js'
import {
  canSubscribe, createAclHooks, filterCovers, filterProblem, isAllowed, loadAclFile, parseAcl, topicMatches
} from '../../lib/broker/auth/acl-file.js'
import type { ClientInfo } from '../../lib/broker/options.js'
import type { QoS } from '../../lib/protocol/packets.js'

const ACL = `
# anonymous clients
topic read public/#

user alice
topic readwrite alice/#
topic deny alice/secret
topic write shared/inbox
topic read $SYS/broker/#

user bob
topic shared/+
topic read sensors/+/temperature

# every client
pattern write devices/%c/status
pattern read users/%u/#
pattern deny devices/%c/locked
`

const acl = parseAcl(ACL, 'acl')
const alice = { clientId: 'alice-laptop', username: 'alice' }
const bob = { clientId: 'bob-1', username: 'bob' }
const anon = { clientId: 'sensor-7', username: undefined }
const stranger = { clientId: 'x', username: 'mallory' }

test('topicMatches: +, #, the parent of #, and $ topics [MQTT-4.7.2-1]', t => {
  t.true(topicMatches('a/+', 'a/b'))
  t.false(topicMatches('a/+', 'a/b/c'))
  t.false(topicMatches('a/+', 'a'))
  t.true(topicMatches('a/#', 'a'))
  t.true(topicMatches('a/#', 'a/b/c'))
  t.true(topicMatches('+/+', '/x'))
  t.false(topicMatches('#', '$SYS/broker/uptime'))
  t.false(topicMatches('+/broker/uptime', '$SYS/broker/uptime'))
  t.true(topicMatches('$SYS/#', '$SYS/broker/uptime'))
  t.false(topicMatches('a/b', 'a/b/c'))
})

test('filterCovers: a filter is covered when every topic it matches is matched by the other', t => {
  const covered: Array<[string, string]> = [
    ['a/#', 'a/+'], ['a/#', 'a/#'], ['a/#', 'a'], ['a/#', 'a/b/c'], ['a/+', 'a/b'], ['a/+', 'a/+'],
    ['#', 'a/#'], ['#', '+'], ['+/+', 'a/+'], ['+/+', '+/b'], ['a/+/c', 'a/b/c'], ['$SYS/#', '$SYS/broker/+'],
    ['+/#', '#'], ['#', '+/#'], ['a//+', 'a//b']
  ]
  for (const [outer, inner] of covered) t.true(filterCovers(outer, inner), `${inner} covered by ${outer}`)
  const notCovered: Array<[string, string]> = [
    ['a/+', 'a/#'], ['a/+', 'a'], ['a/b', 'a/+'], ['a/+', 'a/b/c'], ['a/b', 'a/#'], ['+/b', '+/+'],
    ['#', '$SYS/#'], ['+/broker', '$SYS/broker'], ['#', '$SYS'], ['a/+/#', 'a/#'], ['a/#', 'b/#'],
    ['a/+', '+/b'], ['a', 'a/b'], ['a/b', 'a'], ['$SYS/#', '#'], ['+/#', '$SYS/a'], ['a/+/#', 'a']
  ]
  for (const [outer, inner] of notCovered) t.false(filterCovers(outer, inner), `${inner} NOT covered by ${outer}`)
})

test('filterCovers agrees with matching on every topic, exhaustively for small filters', t => {
  const levels = (alphabet: string[], max: number): string[] => {
    let out: string[][] = alphabet.map(l => [l])
    let all = out
    for (let n = 2; n <= max; n++) { out = out.flatMap(p => alphabet.map(l => [...p, l])); all = [...all, ...out] }
    return all.map(p => p.join('/'))
  }
  const filters = levels(['a', '$s', '+', '#'], 3).filter(f => filterProblem(f) === undefined)
  const topics = levels(['a', '$s', 'z', ''], 4)
  let checked = 0
  for (const outer of filters) {
    for (const inner of filters) {
      const semantic = topics.every(topic => !topicMatches(inner, topic) || topicMatches(outer, topic))
      if (filterCovers(outer, inner) !== semantic) t.fail(`filterCovers(${outer}, ${inner}) should be ${String(semantic)}`)
      checked++
    }
  }
  t.true(checked > 2000)
})

test('lines before any user apply to anonymous clients only', t => {
  t.true(isAllowed(acl, anon, 'read', 'public/news'))
  t.false(isAllowed(acl, anon, 'write', 'public/news'), 'read grants no write')
  t.false(isAllowed(acl, alice, 'read', 'public/news'), 'a named user does not get the anonymous entries')
})

test('user sections: readwrite, write-only, and an access-less topic meaning readwrite', t => {
  t.true(isAllowed(acl, alice, 'write', 'alice/notes'))
  t.true(isAllowed(acl, alice, 'read', 'alice/notes/today'))
  t.true(isAllowed(acl, alice, 'write', 'shared/inbox'))
  t.false(isAllowed(acl, alice, 'read', 'shared/inbox'), 'write grants no read')
  t.true(isAllowed(acl, bob, 'read', 'shared/x'))
  t.true(isAllowed(acl, bob, 'write', 'shared/x'))
  t.false(isAllowed(acl, bob, 'write', 'alice/notes'), "another user's entries do not apply")
  t.false(isAllowed(acl, stranger, 'read', 'alice/notes'), 'a user with no section gets only patterns')
})

test('deny wins over a wider grant, for read and write', t => {
  t.false(isAllowed(acl, alice, 'write', 'alice/secret'))
  t.false(isAllowed(acl, alice, 'read', 'alice/secret'))
  t.true(isAllowed(acl, alice, 'read', 'alice/secret2'))
})

test('patterns substitute %c and %u and apply to every client', t => {
  t.true(isAllowed(acl, alice, 'write', 'devices/alice-laptop/status'))
  t.false(isAllowed(acl, alice, 'write', 'devices/bob-1/status'))
  t.true(isAllowed(acl, bob, 'write', 'devices/bob-1/status'))
  t.true(isAllowed(acl, anon, 'write', 'devices/sensor-7/status'))
  t.true(isAllowed(acl, bob, 'read', 'users/bob/inbox'))
  t.false(isAllowed(acl, bob, 'read', 'users/alice/inbox'))
  t.false(isAllowed(acl, anon, 'read', 'users//inbox'), '%u does not apply without a user name')
  t.false(isAllowed(acl, bob, 'write', 'devices/bob-1/locked'), 'a deny pattern')
})

test('a client id or user name holding + # or / does not widen a pattern', t => {
  t.false(isAllowed(acl, { clientId: '+', username: 'bob' }, 'write', 'devices/bob-1/status'))
  t.false(isAllowed(acl, { clientId: 'a/b', username: 'bob' }, 'write', 'devices/a/b/status'))
  t.false(isAllowed(acl, { clientId: 'c', username: '#' }, 'read', 'users/alice/inbox'))
  t.false(canSubscribe(acl, { clientId: 'c', username: '#' }, 'users/#'))
})

test('subscribe needs a read grant covering the whole requested filter', t => {
  t.true(canSubscribe(acl, bob, 'sensors/+/temperature'))
  t.true(canSubscribe(acl, bob, 'sensors/kitchen/temperature'))
  t.false(canSubscribe(acl, bob, 'sensors/#'), 'wider than the grant')
  t.false(canSubscribe(acl, bob, 'sensors/+/+'))
  t.true(canSubscribe(acl, alice, 'alice/+'))
  t.true(canSubscribe(acl, alice, 'alice/#'))
  t.false(canSubscribe(acl, alice, '#'))
  t.false(canSubscribe(acl, alice, 'shared/inbox'), 'write access does not allow subscribing')
  t.true(canSubscribe(acl, bob, '$share/group/sensors/+/temperature'), 'a shared subscription is judged by its filter')
  t.false(canSubscribe(acl, bob, '$share/group/sensors/#'))
})

test('subscribe: a deny covering the filter refuses it; a narrower deny is enforced per message', t => {
  t.false(canSubscribe(acl, alice, 'alice/secret'))
  t.true(canSubscribe(acl, alice, 'alice/+'))
  const hooks = createAclHooks(acl)
  const client = info(alice)
  t.true(hooks.authorizeForward(client, message('alice/public')))
  t.false(hooks.authorizeForward(client, message('alice/secret')))
})

test('$SYS needs its own grant: # never covers it', t => {
  const wide = parseAcl('topic read #\n', 'acl')
  t.true(canSubscribe(wide, anon, '#'))
  t.false(canSubscribe(wide, anon, '$SYS/#'))
  t.false(isAllowed(wide, anon, 'read', '$SYS/broker/uptime'))
  t.true(canSubscribe(acl, alice, '$SYS/broker/#'))
  t.true(canSubscribe(acl, alice, '$SYS/broker/clients/+'))
  t.false(canSubscribe(acl, alice, '$SYS/#'))
})

function info (s: { clientId: string, username: string | undefined }): ClientInfo {
  return { ...s, protocolVersion: 5, remoteAddress: undefined, certificate: undefined }
}

function message (topic: string, qos: QoS = 1): { topic: string, payload: Buffer, qos: QoS, retain: boolean } {
  return { topic, payload: Buffer.from('x'), qos, retain: false }
}

test('the hooks refuse with 0x87 and grant the requested QoS', t => {
  const hooks = createAclHooks(acl)
  t.is(hooks.authorizePublish(info(alice), message('alice/x')), true)
  t.like(hooks.authorizePublish(info(alice), message('bob/x')), { reasonCode: 0x87 })
  t.is(hooks.authorizeSubscribe(info(bob), { topicFilter: 'sensors/+/temperature', qos: 2 }), 2)
  t.like(hooks.authorizeSubscribe(info(bob), { topicFilter: 'sensors/#', qos: 1 }), { reasonCode: 0x87 })
  t.true(hooks.authorizeForward(info(bob), message('sensors/hall/temperature')))
  t.false(hooks.authorizeForward(info(bob), message('sensors/hall/humidity')))
})

test('an empty ACL file denies everything', t => {
  const none = createAclHooks(parseAcl('# nothing\n', 'acl'))
  t.like(none.authorizePublish(info(anon), message('a')), { reasonCode: 0x87 })
  t.like(none.authorizeSubscribe(info(anon), { topicFilter: '#', qos: 0 }), { reasonCode: 0x87 })
  t.false(none.authorizeForward(info(anon), message('a')))
})

test('topics may contain spaces; the access word is optional', t => {
  const spaced = parseAcl('topic read my room/temp\ntopic write\tother room\n', 'acl')
  t.deepEqual(spaced.anonymous.map(e => [e.access, e.filter]), [['read', 'my room/temp'], ['write', 'other room']])
  t.deepEqual(parseAcl('topic a/b\n', 'acl').anonymous.map(e => e.access), ['readwrite'])
})

test('parse errors name the file and line', t => {
  const cases: Array<[string, string]> = [
    ['user alice\ntopic\n', "acl:2: 'topic' needs a topic"],
    ['topic read\n', "acl:1: 'topic read' needs a topic"],
    ['user\n', "acl:1: 'user' needs a user name"],
    ['# c\nsubscribe a/b\n', "acl:2: unknown keyword 'subscribe' (expected user, topic or pattern)"],
    ['topic read a/#/b\n', "acl:1: invalid topic 'a/#/b': '#' must be a whole level and the last one"],
    ['pattern write a+/b\n', "acl:1: invalid topic 'a+/b': '+' must be a whole level"]
  ]
  for (const [text, message] of cases) {
    const err = t.throws(() => parseAcl(text, 'acl'), { instanceOf: InvalidArgumentError })
    t.is(err?.message, message)
  }
})

test('loadAclFile reads the file; a missing file is one clear error', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'qosmos-acl-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'acl'), ACL)
  const hooks = await loadAclFile(join(dir, 'acl'))
  t.is(hooks.authorizePublish(info(alice), message('alice/x')), true)
  const err = await t.throwsAsync(loadAclFile(join(dir, 'nope')), { instanceOf: InvalidArgumentError })
  t.is(err?.message, `cannot read ACL file ${join(dir, 'nope')}: no such file`)
})
