package bot

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/convertalk/inboxbot/inbox"
)

// Metrics are the bot's Prometheus metrics, on a registry of its own (no
// global state), served on HTTP_ADDR/metrics.
type Metrics struct {
	registry     *prometheus.Registry
	commands     *prometheus.CounterVec   // kind, outcome
	ackLatency   prometheus.Histogram     // seconds from envelope to ack queued
	answer       *prometheus.HistogramVec // kind; seconds from envelope to answer posted
	overhead     prometheus.Histogram     // seconds of an answer not spent waiting for the inbox
	inboxCalls   *prometheus.CounterVec   // outcome
	inboxLatency prometheus.Histogram
	inboxRetries prometheus.Counter
	slackErrors  *prometheus.CounterVec // method, error
	panics       prometheus.Counter
	busy         prometheus.Counter
	// Digests (SPEC §7): runs by outcome (posted, late, quiet, skipped,
	// paused, failed) and reason, slots another replica claimed first, and
	// the lag from a slot's time to its post.
	digests       *prometheus.CounterVec
	slotConflicts prometheus.Counter
	schedulerLag  prometheus.Histogram
	// Alerts (SPEC §8): rounds by outcome (run, conflict, failed), rule
	// evaluations by result, the evaluation's duration and inbox requests
	// per round, incidents by event (opened, resolved), and Slack
	// notifications by kind (post, update, reply, resolve, announce).
	alertRounds        *prometheus.CounterVec
	alertEvaluations   *prometheus.CounterVec
	alertEvalDuration  prometheus.Histogram
	alertRoundRequests prometheus.Histogram
	alertIncidents     *prometheus.CounterVec
	alertNotifications *prometheus.CounterVec
}

// NewMetrics registers the bot's metrics and the Go runtime's.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		registry: r,
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_commands_total", Help: "Commands and clicks handled, by kind and outcome.",
		}, []string{"kind", "outcome"}),
		ackLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "inboxbot_ack_latency_seconds", Help: "Time from receiving an envelope to queuing its ack.",
			Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .5, 1, 3},
		}),
		answer: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "inboxbot_answer_latency_seconds", Help: "Time from receiving an envelope to posting its answer.",
			Buckets: prometheus.DefBuckets,
		}, []string{"kind"}),
		overhead: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "inboxbot_answer_overhead_seconds",
			Help:    "Time of an answer not spent waiting for the inbox: queueing, parsing, rendering, posting.",
			Buckets: []float64{.0005, .001, .002, .003, .005, .0075, .01, .025, .05, .1, .25, .5, 1},
		}),
		inboxCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_inbox_attempts_total", Help: "HTTP attempts to the inbox API, by outcome.",
		}, []string{"outcome"}),
		inboxLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "inboxbot_inbox_attempt_latency_seconds", Help: "Latency of HTTP attempts to the inbox API.",
			Buckets: prometheus.DefBuckets,
		}),
		inboxRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "inboxbot_inbox_retries_total", Help: "Inbox API attempts that were retried.",
		}),
		slackErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_slack_api_errors_total", Help: "Slack API errors, by method and error.",
		}, []string{"method", "error"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "inboxbot_panics_total", Help: "Panics recovered while handling an event.",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "inboxbot_busy_rejections_total", Help: "Events turned away because the work queue was full.",
		}),
		digests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_digests_total", Help: "Digest runs, by outcome (posted, late, quiet, skipped, paused, failed) and reason.",
		}, []string{"outcome", "reason"}),
		slotConflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "inboxbot_digest_slot_conflicts_total", Help: "Digest slots already claimed by another replica.",
		}),
		schedulerLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "inboxbot_digest_lag_seconds", Help: "Time from a digest slot's scheduled time to the end of its post.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900},
		}),
		alertRounds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_alert_rounds_total", Help: "Alert rounds, by outcome (run; conflict: another replica claimed it; failed: the store could not claim it).",
		}, []string{"outcome"}),
		alertEvaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_alert_evaluations_total", Help: "Alert rule evaluations, by result (ok, error, outside_hours, paused, bad_rule, store_error).",
		}, []string{"result"}),
		alertEvalDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "inboxbot_alert_evaluation_duration_seconds", Help: "Time an alert round spent evaluating its rules' queries.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		alertRoundRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "inboxbot_alert_round_inbox_requests", Help: "Inbox requests made by one alert round.",
			Buckets: []float64{0, 1, 2, 5, 10, 20, 50, 100, 250, 500, 1000},
		}),
		alertIncidents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_alert_incidents_total", Help: "Alert incidents, by event (opened, resolved).",
		}, []string{"event"}),
		alertNotifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "inboxbot_alert_notifications_total", Help: "Alert messages sent to Slack, by kind (post, update, reply, resolve, announce).",
		}, []string{"kind"}),
	}
	r.MustRegister(m.commands, m.ackLatency, m.answer, m.overhead, m.inboxCalls, m.inboxLatency, m.inboxRetries,
		m.slackErrors, m.panics, m.busy, m.digests, m.slotConflicts, m.schedulerLag,
		m.alertRounds, m.alertEvaluations, m.alertEvalDuration, m.alertRoundRequests, m.alertIncidents, m.alertNotifications,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Attempt implements inbox.Observer: one observation per HTTP attempt.
func (m *Metrics) Attempt(_ context.Context, a inbox.AttemptInfo) {
	m.inboxCalls.WithLabelValues(attemptOutcome(a)).Inc()
	m.inboxLatency.Observe(a.Duration.Seconds())
	if a.Retrying {
		m.inboxRetries.Inc()
	}
}

func attemptOutcome(a inbox.AttemptInfo) string {
	switch {
	case a.Err == nil && a.StatusCode/100 == 2:
		return "ok"
	case a.StatusCode != 0:
		return strconv.Itoa(a.StatusCode)
	case errors.Is(a.Err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(a.Err, context.Canceled):
		return "canceled"
	}
	return "error"
}
