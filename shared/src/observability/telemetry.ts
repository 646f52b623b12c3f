import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface Telemetry {
  resource: Resource;
  /** Shared with Temporal's OpenTelemetry plugin so workflow spans go to the same exporter. */
  spanProcessor: SpanProcessor;
  exporting: boolean;
  shutdown(): Promise<void>;
}

/**
 * Tracing for a SyncBridge process. Spans are exported over OTLP/HTTP only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is configured; otherwise they are created and dropped,
 * so instrumentation costs little and needs no collector.
 */
export function startTelemetry(opts: {
  serviceName: string;
  version?: string;
  otlpEndpoint?: string | undefined;
  /** Tests: where spans go instead of OTLP. */ spanProcessor?: SpanProcessor;
}): Telemetry {
  const resource = new Resource({ [ATTR_SERVICE_NAME]: opts.serviceName, [ATTR_SERVICE_VERSION]: opts.version ?? '0.1.0' });
  const spanProcessor: SpanProcessor = opts.spanProcessor
    ? opts.spanProcessor
    : opts.otlpEndpoint
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }))
      : new NoopSpanProcessor();
  const sdk = new NodeSDK({ resource, spanProcessors: [spanProcessor] });
  sdk.start();
  return { resource, spanProcessor, exporting: Boolean(opts.otlpEndpoint || opts.spanProcessor), shutdown: () => sdk.shutdown() };
}
