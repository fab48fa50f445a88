package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/convertalk/inboxbot/commands/schedule"
)

// scheduleRuns is how many run times `inboxbot schedule` prints by default.
const scheduleRuns = 5

// schedule prints a schedule in words and its next run times in
// DIGEST_TZ (else TZ), so an operator can check one before putting it in
// RULES_FILE or a `/inbox digest add`.
func (a *cli) schedule(_ context.Context, args []string) error {
	fs := a.newFlags("schedule")
	n := fs.Int("n", scheduleRuns, "how many run times to print (1-100)")
	flagArgs, rest := splitFlags(args, map[string]bool{"n": true, "h": false, "help": false})
	if err := parseFlags(fs, flagArgs); err != nil {
		return err
	}
	if *n < 1 || *n > 100 {
		return &UsageError{"schedule: -n must be between 1 and 100"}
	}
	text := strings.Join(rest, " ")
	if strings.TrimSpace(text) == "" {
		return &UsageError{`schedule: give a schedule, e.g. inboxbot schedule "weekdays 09:00"`}
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	s, err := schedule.Parse(text, cfg.ScheduleLocation())
	if err != nil {
		return &UsageError{"schedule: " + plainCode(err.Error())}
	}
	fmt.Fprintf(a.io.Out, "%s\nnext runs:\n", s.Describe())
	for _, t := range s.NextN(a.now(), *n) {
		fmt.Fprintf(a.io.Out, "  %s\n", t.Format("Mon 2006-01-02 15:04 MST"))
	}
	return nil
}
