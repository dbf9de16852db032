import { expect } from 'chai';
import { ConfigError } from '../../../lib/config.js';
import { loadMetricsConfig, splitHostPort } from '../../../lib/metrics/config.js';
import { loadTracingConfig } from '../../../lib/tracing/config.js';
import { HubMetrics } from '../../../lib/metrics/registry.js';
import { measureStore } from '../../../lib/metrics/store.js';
import { hubMetrics } from '../../../lib/metrics/registry.js';
import { parsePrometheus, sumOf } from '../../helpers/prometheus.js';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('metrics and tracing settings', () => {
  it('when TEAMHUB_METRICS_LISTEN is unset, empty or off, then no listener; host:port (IPv6 too) is taken; anything else is a clear problem', () => {
    expect(loadMetricsConfig({}).listen).to.equal(undefined);
    expect(loadMetricsConfig({ TEAMHUB_METRICS_LISTEN: '' }).listen).to.equal(undefined);
    expect(loadMetricsConfig({ TEAMHUB_METRICS_LISTEN: 'OFF' }).listen).to.equal(undefined);
    expect(loadMetricsConfig({ TEAMHUB_METRICS_LISTEN: '127.0.0.1:9464' }).listen).to.equal('127.0.0.1:9464');
    expect(splitHostPort('[::1]:0')).to.deep.equal({ host: '::1', port: 0 });
    for (const bad of ['9464', 'localhost:99999', 'a b:1', 'http://x:1']) {
      expect(problems(() => loadMetricsConfig({ TEAMHUB_METRICS_LISTEN: bad })).join(), bad).to.contain('TEAMHUB_METRICS_LISTEN must be host:port or off');
    }
  });

  it('when no OTEL_* variable asks, then tracing is off; an exporter or an OTLP endpoint turns it on; OTEL_SDK_DISABLED wins', () => {
    expect(loadTracingConfig({}, 'gateway')).to.deep.include({ enabled: false, serviceName: 'teamhub-gateway' });
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp' }, 'session').enabled).to.equal(true);
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'console' }, 'session').exporter).to.equal('console');
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, 'auth')).to.deep.include({ enabled: true, exporter: 'otlp' });
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:1' }, 'auth').enabled).to.equal(false);
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }, 'auth').enabled).to.equal(false);
    expect(loadTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'hub-a' }, 'auth').serviceName).to.equal('hub-a');
  });

  it('when the exporter or protocol is one teamhub cannot serve, then a clear problem rather than silence', () => {
    expect(problems(() => loadTracingConfig({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'x')).join()).to.contain('OTEL_TRACES_EXPORTER must be one of otlp, console, none');
    expect(problems(() => loadTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'x')).join()).to.contain('http/protobuf');
    expect(problems(() => loadTracingConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }, 'x'))).to.deep.equal([]);
  });
});

describe('metrics registry', () => {
  it('when a store is measured, then each method is timed by name and result, and answers and errors pass through unchanged', async () => {
    class FakeStore {
      private rows = ['a'];
      async list(): Promise<string[]> {
        return this.rows;
      }
      async fail(): Promise<void> {
        throw new Error('boom');
      }
      count(): number {
        return this.rows.length;
      }
      readonly kind = 'fake';
    }
    const store = measureStore(new FakeStore());
    expect(await store.list()).to.deep.equal(['a']);
    expect(store.count()).to.equal(1);
    expect(store.kind).to.equal('fake');
    let caught: unknown;
    await store.fail().catch((err: unknown) => (caught = err));
    expect((caught as Error).message).to.equal('boom');
    const samples = parsePrometheus(await hubMetrics().text());
    expect(sumOf(samples, 'teamhub_store_operation_seconds_count', { operation: 'list', result: 'ok' })).to.be.greaterThanOrEqual(1);
    expect(sumOf(samples, 'teamhub_store_operation_seconds_count', { operation: 'fail', result: 'error' })).to.be.greaterThanOrEqual(1);
    expect(sumOf(samples, 'teamhub_store_operation_seconds_count', { operation: 'count', result: 'ok' })).to.be.greaterThanOrEqual(1);
  });

  it('when a gauge is read at scrape time, then its value is what the reader says then, labelled by the one bounded label', async () => {
    const m = new HubMetrics();
    let open = 2;
    m.gauge('teamhub_test_open', 'test', () => ({ '/cli': open, '/terminal': 0 }), 'nsp');
    m.setProcessName('gateway');
    expect(sumOf(parsePrometheus(await m.text()), 'teamhub_test_open', { nsp: '/cli', service: 'gateway' })).to.equal(2);
    open = 5;
    expect(sumOf(parsePrometheus(await m.text()), 'teamhub_test_open', { nsp: '/cli' })).to.equal(5);
  });
});

describe('tracing when off', () => {
  it('when tracing is off, then the gRPC server handler is returned as it is and the socket and publish hooks add nothing', async () => {
    const { traceServerUnary } = await import('../../../lib/tracing/grpc.js');
    const { tracePublish } = await import('../../../lib/tracing/nats.js');
    const { tracingOn } = await import('../../../lib/tracing/tracer.js');
    expect(tracingOn()).to.equal(false);
    const handler = () => undefined;
    expect(traceServerUnary('/x.Y/Z', handler)).to.equal(handler);
    let given: unknown = 'unset';
    await tracePublish('message.appended', 'r1', async (h) => {
      given = h;
    });
    expect(given).to.equal(undefined);
  });
});
