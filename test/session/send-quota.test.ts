import test from 'ava'
import { InvalidArgumentError } from '../../lib/core/errors.js'
import { SendQuota } from '../../lib/session/send-quota.js'

test('defaults to 65535, the Receive Maximum of a peer that sent none', t => {
  const quota = new SendQuota()
  t.is(quota.maximum, 65535)
  t.is(quota.available, 65535)
})

test('consume lowers the quota until canSend is false; release raises it again', t => {
  const quota = new SendQuota(2)
  quota.consume()
  t.true(quota.canSend())
  quota.consume()
  t.false(quota.canSend())
  t.is(quota.available, 0)
  quota.release()
  t.true(quota.canSend())
  t.is(quota.available, 1)
})

test('release never raises the quota above the maximum', t => {
  const quota = new SendQuota(2)
  quota.release()
  quota.release()
  t.is(quota.available, 2)
  quota.consume()
  t.is(quota.available, 1)
})

test('reset to a smaller maximum with more flows in flight keeps the quota at zero until enough end', t => {
  const quota = new SendQuota(10)
  quota.reset(2, 3)
  t.is(quota.available, 0)
  t.false(quota.canSend())
  quota.release()
  t.false(quota.canSend())
  quota.release()
  t.true(quota.canSend())
  t.is(quota.available, 1)
})

test('rejects a Receive Maximum of 0 or above 65535', t => {
  t.throws(() => new SendQuota(0), { instanceOf: InvalidArgumentError })
  t.throws(() => new SendQuota(65536), { instanceOf: InvalidArgumentError })
  t.throws(() => new SendQuota(1).reset(1.5, 0), { instanceOf: InvalidArgumentError })
})
