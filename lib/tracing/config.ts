import { EnvReader, type Env } from '../config.js';

/** Whether this process exports traces, and how (from the standard OTEL_* variables). */
export interface TracingConfig {
  enabled: boolean;
  exporter: 'otlp' | 'console' | 'none';
  serviceName: string;
}

/**
 * Tracing is off unless asked for with OpenTelemetry's own variables: OTEL_TRACES_EXPORTER
 * (`otlp` or `console`), or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) without it. OTEL_SDK_DISABLED=true wins over both.
 * OTEL_SERVICE_NAME names the process (default `teamhub-<process>`). The exporter itself reads
 * the rest (endpoint, headers, timeout, OTEL_TRACES_SAMPLER); OTLP goes out as http/protobuf, the
 * only protocol the bundled exporter speaks, so another OTEL_EXPORTER_OTLP_PROTOCOL is refused.
 */
export function loadTracingConfig(env: Env, processName: string): Readonly<TracingConfig> {
  const r = new EnvReader(env);
  const disabled = r.bool('OTEL_SDK_DISABLED', false);
  const raw = r.str('OTEL_TRACES_EXPORTER');
  const endpoint = r.str('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? r.str('OTEL_EXPORTER_OTLP_ENDPOINT');
  let exporter: TracingConfig['exporter'] = endpoint ? 'otlp' : 'none';
  if (raw !== undefined) {
    const choices = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const known = choices.filter((c) => c === 'otlp' || c === 'console' || c === 'none');
    if (known.length !== choices.length || choices.length !== 1) r.problem(`OTEL_TRACES_EXPORTER must be one of otlp, console, none, got ${JSON.stringify(raw)}`);
    else exporter = known[0] as TracingConfig['exporter'];
  }
  const protocol = r.str('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? r.str('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (exporter === 'otlp' && protocol !== undefined && protocol !== 'http/protobuf') {
    r.problem(`OTEL_EXPORTER_OTLP_PROTOCOL ${JSON.stringify(protocol)} is not supported; teamhub exports OTLP as http/protobuf`);
  }
  return r.done({
    enabled: !disabled && exporter !== 'none',
    exporter,
    serviceName: r.str('OTEL_SERVICE_NAME', `teamhub-${processName}`),
  });
}
