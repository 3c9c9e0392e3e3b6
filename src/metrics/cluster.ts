/**
 * Metrics of `serve --workers N` (node:cluster): the primary listens and answers each scrape with
 * every worker's metrics added up (prom-client's AggregatorRegistry asks them over the cluster
 * channel); the workers do not listen.
 *
 * prom-client keeps this part module-global, unavoidably: a worker answers the primary with the
 * registries it was given by the static `AggregatorRegistry.setRegistries`, and the channel
 * listeners are added once per process. A worker runs one gateway, so one registry per process
 * is what it is anyway; tests that start several gateways in one process never use this path.
 */
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from '../logger.js';
import { listenMetrics, type MetricsAddress, type MetricsListener } from './listener.js';
import type { GatewayMetrics } from './metrics.js';

/** In a worker: answer the primary's requests with this process's metrics. */
export function reportMetricsToPrimary(metrics: GatewayMetrics): void {
  AggregatorRegistry.setRegistries([metrics.registry]);
  // Constructing one adds the worker's side of the channel (once per process).
  new AggregatorRegistry();
}

/** In the primary: listen on the metrics address and serve the workers' metrics, aggregated. */
export async function listenClusterMetrics(address: MetricsAddress, logger?: Logger): Promise<MetricsListener> {
  const aggregator = new AggregatorRegistry();
  // prom-client 15 declares clusterMetrics() as Promise<string>, and the aggregated registry's
  // text is what it resolves with (awaiting covers either shape).
  return listenMetrics(address, async () => ({ contentType: aggregator.contentType, body: String(await aggregator.clusterMetrics()) }), logger);
}
