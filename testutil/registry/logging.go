package registry

import (
	"os"
	"sync"

	"github.com/sirupsen/logrus"
)

// LogEnv is the environment variable that, when set to a non-empty value,
// keeps the registry's logging.
const LogEnv = "BERTH_TEST_REGISTRY_LOG"

// quietOnce guards the one-time installation of the filtering formatter on
// logrus's standard logger. It is a package-level sync.Once on purpose:
// distribution logs through the process-wide logrus standard logger (its
// context logger is internal), so the filter is process-wide too.
var quietOnce sync.Once

// quietLogging drops distribution's log entries unless LogEnv is set.
// Distribution's context loggers all carry the "go.version" field; other
// users of the standard logger (containerd's log package, test code) are
// left alone.
func quietLogging() {
	if os.Getenv(LogEnv) != "" {
		return
	}
	quietOnce.Do(func() {
		std := logrus.StandardLogger()
		std.SetFormatter(&dropRegistryFormatter{next: std.Formatter})
	})
}

type dropRegistryFormatter struct {
	next logrus.Formatter
}

func (f *dropRegistryFormatter) Format(e *logrus.Entry) ([]byte, error) {
	if _, ok := e.Data["go.version"]; ok {
		return nil, nil
	}
	return f.next.Format(e)
}
