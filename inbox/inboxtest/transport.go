package inboxtest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Client returns an HTTP client whose requests this server answers in
// process, whatever the URL's host: no port, no network. It behaves like
// http.DefaultTransport where clients can tell: transparent gzip when the
// caller did not set Accept-Encoding, compressed bodies left alone when it
// did, and the request's context ending the wait (Latency, Hang).
func (s *Server) Client() *http.Client { return &http.Client{Transport: s.Transport()} }

// Transport returns the RoundTripper behind Client.
func (s *Server) Transport() http.RoundTripper { return inProcess{s} }

type inProcess struct{ handler http.Handler }

// RoundTrip serves req with the handler, synchronously: the handler returns
// as soon as the request's context ends, so no goroutine is left behind.
func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := drain(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := req.Clone(ctx)
	in.Body = io.NopCloser(bytes.NewReader(body))
	in.ContentLength = int64(len(body))
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "in-process"
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	// Like http.Transport: ask for gzip, and undo it, only when the caller
	// did not choose an encoding itself.
	transparent := in.Header.Get("Accept-Encoding") == "" && in.Header.Get("Range") == "" && req.Method != http.MethodHead
	if transparent {
		in.Header.Set("Accept-Encoding", "gzip")
	}
	rec := newRecorder()
	if err := serveAborting(t.handler, rec, in); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	resp := rec.response(req)
	if transparent && resp.Header.Get("Content-Encoding") == "gzip" {
		if err := gunzip(resp); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// serveAborting runs the handler, turning http.ErrAbortHandler (a handler
// that gave up answering) into the error a client would see.
func serveAborting(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			err = r.Context().Err()
			if err == nil {
				err = fmt.Errorf("inboxtest: the handler aborted the request: %w", io.ErrUnexpectedEOF)
			}
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

// drain reads and closes the request body, as a RoundTripper must.
func drain(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("inboxtest: reading the request body: %w", err)
	}
	return body, nil
}

func gunzip(resp *http.Response) error {
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		return fmt.Errorf("inboxtest: gzip answer: %w", err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("inboxtest: gzip answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(plain))
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = -1
	resp.Uncompressed = true
	return nil
}

// recorder is a minimal http.ResponseWriter that keeps the answer in
// memory (net/http/httptest is for tests; this runs in the shell too).
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

func (r *recorder) response(req *http.Request) *http.Response {
	status := r.status
	if status == 0 {
		status = http.StatusOK
	}
	length := int64(r.body.Len())
	header := r.header.Clone()
	header.Set("Content-Length", strconv.FormatInt(length, 10))
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(r.body.Bytes())),
		ContentLength: length,
		Request:       req,
	}
}
