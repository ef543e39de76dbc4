// Publish → remote reader latency: a reader replicating the bridge node's feed over
// the testnet decodes each reading as its append arrives, while readings carrying their
// publish time (Date.now()) are published at QoS 1 at a steady rate.
import { decodeReadings } from '../../../node/bridge/record.ts'
import { decodeKey } from '../../../node/identity/keys.ts'
import { openFeedReader } from '../../client/feeds.ts'
import { HarnessError } from '../../harness/errors.ts'
import { sleep, withDeadline } from '../../harness/wait.ts'
import { closers } from '../section.ts'
import { connectPublisher, publishAcknowledged, watchArrivals } from './driver.ts'
import { feedLength, LATENCY_RATE_PER_S, LATENCY_READINGS, LATENCY_WAIT_MS, lastLogs, NO_PROGRESS_MS, RULE, startBridgeRun, STATUS_POLL_MS, TOPIC, type BridgeBench } from './scenario.ts'

// Per reading the reader decoded: publish → decoded, and publish → bridge received.
export interface LatencySample { latencies: number[], toBridge: number[] }

export async function readerLatency (bench: BridgeBench, name: string): Promise<LatencySample> {
  const opened = closers()
  try {
    const { broker, node, nodeKey, session } = await startBridgeRun(bench, name, opened)
    const publisher = await connectPublisher(broker)
    opened.add(() => { publisher.end(true) })

    // One reading first, so the reader opens a feed that has a block and the
    // connections are warm before anything is timed.
    const logs = (): string => lastLogs(broker, node)
    await withDeadline('acknowledgement of the warm-up reading', publishAcknowledged(publisher, String(Date.now())), NO_PROGRESS_MS, logs)
    const warmUp = performance.now()
    await watchArrivals({ read: () => feedLength(session), target: 1, pollMs: STATUS_POLL_MS, lastLogs: logs }, warmUp, () => warmUp)
    const { feedKey, feeds } = await session.control.feeds()
    const feed = feeds.find((f) => f.name === RULE.feed)
    if (!feed) throw HarnessError.CHECK_FAILED(`the node has no feed "${RULE.feed}"`)
    const reader = await openFeedReader(bench.client, { name: RULE.feed, nodeKey: decodeKey('node key', nodeKey), coreKey: feed.key, feedKey }, { decrypt: true })
    opened.add(() => reader.close())

    const latencies: number[] = []
    const toBridge: number[] = []
    let readError: Error | null = null
    let next = reader.core.length
    let draining = false
    const drain = async (): Promise<void> => {
      if (draining) return
      draining = true
      try {
        while (next < reader.core.length) {
          const block = await reader.core.get(next++)
          const decodedAt = Date.now()
          if (!block) continue
          for (const reading of decodeReadings(block)) {
            const publishedAt = Number(Buffer.from(reading.payload).toString('utf8'))
            latencies.push(decodedAt - publishedAt)
            toBridge.push(reading.receivedAt - publishedAt)
          }
        }
      } finally {
        draining = false
      }
    }
    reader.core.on('append', () => { drain().catch((err: Error) => { readError ??= err }) })

    const started = performance.now()
    for (let i = 0; i < LATENCY_READINGS; i++) {
      const wait = started + i * 1000 / LATENCY_RATE_PER_S - performance.now()
      if (wait > 0) await sleep(wait)
      publisher.publish(TOPIC, String(Date.now()), { qos: 1 })
    }
    // Readings not read by then count as missing: a figure, not a failure.
    const deadline = performance.now() + LATENCY_WAIT_MS
    while (latencies.length < LATENCY_READINGS && !readError && performance.now() < deadline) await sleep(20)
    if (readError) throw readError
    return { latencies, toBridge }
  } finally {
    await opened.closeAll()
  }
}
