package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// pendingFile is a file between files.getUploadURLExternal and
// files.completeUploadExternal.
type pendingFile struct {
	filename string
	length   int
	uploaded bool
	content  []byte
}

// filesGetUploadURL hands out an upload URL on the API's own scheme and
// host: slack-go refuses to send the token anywhere else.
func (s *Server) filesGetUploadURL(p map[string]string) apiResult {
	length, err := strconv.Atoi(p["length"])
	if p["filename"] == "" || err != nil || length <= 0 {
		return fail("invalid_arguments")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("F%010d", s.nextSeqLocked())
	s.web.pending[id] = &pendingFile{filename: p["filename"], length: length}
	return ok(map[string]any{"upload_url": s.http.URL + "/upload/v1/" + id, "file_id": id})
}

// handleUpload receives the file bytes: a multipart POST with field "file".
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/v1/")
	status, answer := http.StatusOK, ""
	content, err := readUpload(r)
	s.mu.Lock()
	f := s.web.pending[id]
	switch {
	case r.Method != http.MethodPost:
		status, answer = http.StatusMethodNotAllowed, "method not allowed"
	case f == nil:
		status, answer = http.StatusNotFound, "no such upload"
	case err != nil:
		status, answer = http.StatusBadRequest, err.Error()
	default:
		f.uploaded, f.content = true, content
		answer = fmt.Sprintf("OK - %d", len(content))
	}
	s.web.calls = append(s.web.calls, Call{Method: "upload", Params: map[string]string{"file_id": id}, Status: status, Time: time.Now()})
	s.notifyLocked()
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// errNotMultipart is returned for an upload that is not multipart/form-data.
var errNotMultipart = errors.New("upload must be multipart/form-data with a file field")

// readUpload returns the content of the multipart field "file".
func readUpload(r *http.Request) ([]byte, error) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		return nil, errNotMultipart
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return nil, errNotMultipart
	}
	defer file.Close()
	return io.ReadAll(file)
}

// filesCompleteUpload shares uploaded files; slack-go wants exactly one file
// back per file sent.
func (s *Server) filesCompleteUpload(p map[string]string) apiResult {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(p["files"]), &files); err != nil || len(files) == 0 {
		return fail("invalid_arguments")
	}
	channel := p["channel_id"]
	if channel == "" {
		channel, _, _ = strings.Cut(p["channels"], ",")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range files {
		if pf := s.web.pending[f.ID]; pf == nil || !pf.uploaded {
			return fail("file_not_found")
		}
	}
	summaries := make([]map[string]any, 0, len(files))
	for _, f := range files {
		pf := s.web.pending[f.ID]
		delete(s.web.pending, f.ID)
		title := f.Title
		if title == "" {
			title = pf.filename
		}
		s.web.uploads = append(s.web.uploads, Upload{
			FileID: f.ID, Filename: pf.filename, Title: title, Length: pf.length,
			Channel: channel, InitialComment: p["initial_comment"], ThreadTS: p["thread_ts"], Content: pf.content,
		})
		summaries = append(summaries, map[string]any{"id": f.ID, "title": title})
	}
	s.notifyLocked()
	return ok(map[string]any{"files": summaries})
}
