package image

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/docker/go-connections/nat"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/sys/signal"
)

// ApplyChanges applies changes — Dockerfile instructions, as `docker import
// --change` and `docker commit --change` send them — to cfg, as dockerd
// does: CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD,
// STOPSIGNAL, USER, VOLUME and WORKDIR, in any case, with variables
// expanded from the ENV set so far. os is the image's operating system.
// Every failure is an invalid-argument error, and cfg is only changed when
// all changes apply.
func ApplyChanges(cfg *dockerspec.DockerOCIImageConfig, changes []string, os string) error {
	if len(changes) == 0 {
		return nil
	}
	res, err := parser.Parse(strings.NewReader(strings.Join(changes, "\n")))
	if err != nil {
		return invalidChange(err)
	}
	var cmds []instructions.Command
	for _, n := range res.AST.Children {
		if !isChangeInstruction(n.Value) {
			return errdefs.ErrInvalidArgument.WithMessage(n.Value + " is not a valid change command")
		}
		cmd, err := instructions.ParseCommand(n)
		if err != nil {
			return invalidChange(err)
		}
		cmds = append(cmds, cmd)
	}
	st := &changeState{cfg: copyConfig(*cfg), os: os, lex: shell.NewLex(res.EscapeToken)}
	for _, cmd := range cmds {
		if err := st.apply(cmd); err != nil {
			return invalidChange(err)
		}
	}
	*cfg = st.cfg
	return nil
}

// isChangeInstruction reports whether dockerd accepts instr in changes.
func isChangeInstruction(instr string) bool {
	switch strings.ToLower(instr) {
	case "cmd", "entrypoint", "env", "expose", "healthcheck", "label",
		"onbuild", "stopsignal", "user", "volume", "workdir":
		return true
	}
	return false
}

func invalidChange(err error) error {
	if errdefs.IsInvalidArgument(err) {
		return err
	}
	return errdefs.ErrInvalidArgument.WithMessage(err.Error())
}

// changeState is the config being changed, as dockerd's builder keeps it.
type changeState struct {
	cfg dockerspec.DockerOCIImageConfig
	os  string
	lex *shell.Lex
	// cmdSet is set once a CMD gave a command: a later ENTRYPOINT keeps it.
	cmdSet bool
}

func (st *changeState) apply(cmd instructions.Command) error {
	if c, ok := cmd.(instructions.PlatformSpecific); ok {
		if err := c.CheckPlatform(st.os); err != nil {
			return err
		}
	}
	envs := shell.EnvsFromSlice(st.cfg.Env)
	if c, ok := cmd.(instructions.SupportsSingleWordExpansion); ok {
		err := c.Expand(func(word string) (string, error) {
			w, _, err := st.lex.ProcessWord(word, envs)
			return w, err
		})
		if err != nil {
			return err
		}
	}
	cfg := &st.cfg
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			cfg.Env = setEnv(cfg.Env, kv.Key, kv.String())
		}
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
		}
	case *instructions.ExposeCommand:
		return st.expose(c, envs)
	case *instructions.UserCommand:
		cfg.User = c.User
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return errors.New("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
	case *instructions.StopSignalCommand:
		if _, err := signal.ParseSignal(c.Signal); err != nil {
			return err
		}
		cfg.StopSignal = c.Signal
	case *instructions.WorkdirCommand:
		return st.workdir(c.Path)
	case *instructions.CmdCommand:
		cfg.Cmd = st.commandLine(c.ShellDependantCmdLine)
		cfg.ArgsEscaped = false //nolint:staticcheck // dockerd keeps it in the image
		if len(c.CmdLine) != 0 {
			st.cmdSet = true
		}
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = st.commandLine(c.ShellDependantCmdLine)
		cfg.ArgsEscaped = false //nolint:staticcheck // dockerd keeps it in the image
		if !st.cmdSet {
			cfg.Cmd = nil
		}
	case *instructions.HealthCheckCommand:
		cfg.Healthcheck = c.Health
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
	default:
		return fmt.Errorf("%s is not a valid change command", cmd.Name())
	}
	return nil
}

// commandLine is the CMD or ENTRYPOINT a command line sets: the shell form
// runs under the image's SHELL, else /bin/sh -c.
func (st *changeState) commandLine(cl instructions.ShellDependantCmdLine) []string {
	out := cl.CmdLine
	if cl.PrependShell && out != nil {
		sh := st.cfg.Shell
		if len(sh) == 0 {
			sh = []string{"/bin/sh", "-c"}
		}
		out = append(append([]string{}, sh...), out...)
	}
	return out
}

// expose adds the ports of EXPOSE; a variable may expand to several ports.
func (st *changeState) expose(c *instructions.ExposeCommand, envs shell.EnvGetter) error {
	var ports []string
	for _, p := range c.Ports {
		ps, err := st.lex.ProcessWords(p, envs)
		if err != nil {
			return err
		}
		ports = append(ports, ps...)
	}
	set, _, err := nat.ParsePortSpecs(ports)
	if err != nil {
		return err
	}
	if st.cfg.ExposedPorts == nil {
		st.cfg.ExposedPorts = map[string]struct{}{}
	}
	for p := range set {
		st.cfg.ExposedPorts[string(p)] = struct{}{}
	}
	return nil
}

// workdir sets the working directory; a relative one is joined to the
// current one.
func (st *changeState) workdir(requested string) error {
	if requested == "" {
		return errors.New("cannot normalize nothing")
	}
	if filepath.IsAbs(requested) {
		st.cfg.WorkingDir = filepath.Clean(requested)
	} else {
		st.cfg.WorkingDir = filepath.Join("/", st.cfg.WorkingDir, requested)
	}
	return nil
}

// setEnv sets key to the "key=value" entry kv, replacing an earlier one.
func setEnv(env []string, key, kv string) []string {
	for i, e := range env {
		k, _, _ := strings.Cut(e, "=")
		if shell.EqualEnvKeys(k, key) {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// copyConfig copies the parts of cfg that changes modify in place.
func copyConfig(cfg dockerspec.DockerOCIImageConfig) dockerspec.DockerOCIImageConfig {
	cfg.Env = append([]string(nil), cfg.Env...)
	cfg.OnBuild = append([]string(nil), cfg.OnBuild...)
	cfg.Labels = copyMap(cfg.Labels)
	cfg.Volumes = copyMap(cfg.Volumes)
	cfg.ExposedPorts = copyMap(cfg.ExposedPorts)
	return cfg
}

func copyMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
