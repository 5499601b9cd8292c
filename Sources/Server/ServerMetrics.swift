import Metrics
import Prometheus
import Scheduling
import Synchronization

/// /metrics in Prometheus text: requests by route template, method and status with their
/// durations (swift-metrics over swift-prometheus, which escapes the labels), and the scheduler's
/// counters and gauges read at scrape time. Its own registry, so nothing global is bootstrapped.
final class ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// The scheduler's totals at the last scrape: its counters grow by the difference.
    private let lastScrape = Mutex<SchedulerMetrics?>(nil)

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                                   .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120)]
        self.factory = factory
    }

    /// One answered request. `route` is the matched template (never the raw path, so that unknown
    /// URLs do not each make a series); status 499 is a client that left before its answer.
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        Counter(label: "lorekeeper_http_requests_total", dimensions: [("route", route), ("method", method), ("status", "\(status)")], factory: factory)
            .increment()
        Metrics.Timer(label: "lorekeeper_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory)
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func render(scheduler: Scheduler?) -> String {
        Gauge(label: "lorekeeper_model_ready", factory: factory).record(scheduler == nil ? 0 : 1)
        if let scheduler {
            let now = scheduler.metrics()
            let last = lastScrape.withLock { last in
                defer { last = now }
                return last
            }
            func count(_ name: String, _ value: KeyPath<SchedulerMetrics, Int>) {
                Counter(label: "lorekeeper_\(name)_total", factory: factory).increment(by: now[keyPath: value] - (last?[keyPath: value] ?? 0))
            }
            func gauge(_ name: String, _ value: Double) { Gauge(label: "lorekeeper_\(name)", factory: factory).record(value) }
            count("completions_started", \.requestsStarted)
            count("completions_finished", \.requestsFinished)
            count("completions_cancelled", \.requestsCancelled)
            count("prompt_tokens", \.promptTokens)
            count("prompt_tokens_cached", \.promptTokensCached)
            count("generated_tokens", \.generatedTokens)
            count("forward_steps", \.steps)
            FloatingPointCounter(label: "lorekeeper_forward_seconds_total", factory: factory).increment(by: now.stepSeconds - (last?.stepSeconds ?? 0))
            gauge("queue_depth", Double(now.queued))
            gauge("active_sequences", Double(now.activeSequences))
            gauge("kv_cache_bytes", Double(now.kvCacheBytes))
            gauge("prefix_cache_bytes", Double(now.prefixCacheBytes))
            gauge("prefill_tokens_per_second", now.prefillTokensPerSecond)
            gauge("decode_tokens_per_second", now.decodeTokensPerSecond)
        }
        return registry.emitToString()
    }
}
