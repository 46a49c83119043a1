package server

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/source"
)

// metrics are the server's Prometheus metrics, in a registry of its own.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	rejected   prometheus.Counter
	incomplete *prometheus.CounterVec
	sourceErrs *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "whymail_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "whymail_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "whymail_diagnoses_in_flight", Help: "Diagnoses (and lints and batches) running now.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "whymail_diagnoses_rejected_total", Help: "Requests answered 503 because the bound on diagnoses in flight was reached.",
		}),
		incomplete: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "whymail_reports_incomplete_total", Help: "Reports answered incomplete (a check failed or the deadline expired), by kind.",
		}, []string{"kind"}),
		sourceErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "whymail_source_errors_total", Help: "Failed reads of a source of evidence, by source.",
		}, []string{"source"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.inFlight, m.rejected, m.incomplete, m.sourceErrs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// countSources wraps each source so that its failures are counted. A
// cancelled or expired request is not the source's failure.
func (m *metrics) countSources(s checks.Sources) checks.Sources {
	if s.Users != nil {
		s.Users = countedUsers{s.Users, m}
	}
	wrap := func(sts []source.Stream) []source.Stream {
		out := make([]source.Stream, len(sts))
		for i, st := range sts {
			out[i] = countedStream{st, m}
		}
		return out
	}
	s.Suppressions, s.Logs = wrap(s.Suppressions), wrap(s.Logs)
	bounces := make([]source.Messages, len(s.Bounces))
	for i, b := range s.Bounces {
		bounces[i] = countedMessages{b, m}
	}
	s.Bounces = bounces
	if s.Message != nil {
		s.Message = countedMessages{s.Message, m}
	}
	return s
}

func (m *metrics) failed(ctx context.Context, src source.Source, err error) {
	if err != nil && ctx.Err() == nil {
		m.sourceErrs.WithLabelValues(src.Describe()).Inc()
	}
}

type countedUsers struct {
	src source.Users
	m   *metrics
}

func (c countedUsers) Describe() string { return c.src.Describe() }

func (c countedUsers) Users(ctx context.Context, q source.UserQuery, fn func(source.User) error) (int, error) {
	n, err := c.src.Users(ctx, q, fn)
	c.m.failed(ctx, c.src, err)
	return n, err
}

type countedStream struct {
	source.Stream
	m *metrics
}

func (c countedStream) Open(ctx context.Context, q source.Query) (io.ReadCloser, error) {
	rc, err := c.Stream.Open(ctx, q)
	c.m.failed(ctx, c.Stream, err)
	return rc, err
}

type countedMessages struct {
	src source.Messages
	m   *metrics
}

func (c countedMessages) Describe() string { return c.src.Describe() }

func (c countedMessages) Messages(ctx context.Context, fn func(source.Message) error) error {
	err := c.src.Messages(ctx, fn)
	c.m.failed(ctx, c.src, err)
	return err
}
