package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// dockerdOnlyKeys are the daemon.json keys dockerd 29 (Linux) accepts that
// berthd does not implement: mostly container, network and runtime
// settings. A daemon.json written for dockerd must still start berthd, so
// these are accepted and logged as ignored instead of refused. The list is
// dockerd's flag names, the names of its named options (the plural
// daemon.json spelling, e.g. "exec-opts" for --exec-opt) and the keys it
// accepts without a flag ("features", "builder", "min-api-version", and
// deprecated keys it ignores).
//
// A key berthd implements is a field of Config and never looked up here,
// so adding a field (say, max-concurrent-uploads) makes the key live
// without editing this list.
var dockerdOnlyKeys = map[string]bool{
	// Keys without a flag (dockerd's skipValidateOptions).
	"features": true, "builder": true, "min-api-version": true,
	"deprecated-key-path": true, "allow-nondistributable-artifacts": true,

	// Daemon-wide.
	"authorization-plugins": true, "cri-containerd": true, "exec-opts": true, "exec-root": true,
	"experimental": true, "containerd-plugins-namespace": true, "cdi-spec-dirs": true, "nri-opts": true,
	"live-restore": true, "shutdown-timeout": true, "raw-logs": true, "restart": true, "rootless": true,
	"userns-remap": true, "selinux-enabled": true, "validate": true,

	// Storage driver (berthd uses containerd snapshotters: see "snapshotter").
	"storage-driver": true, "storage-opts": true,

	// Containers, runtimes, logging drivers.
	"default-runtime": true, "runtimes": true, "default-ulimits": true, "default-shm-size": true,
	"default-ipc-mode": true, "default-cgroupns-mode": true, "default-stop-timeout": true,
	"cgroup-parent": true, "cpu-rt-period": true, "cpu-rt-runtime": true, "init": true, "init-path": true,
	"no-new-privileges": true, "seccomp-profile": true, "log-driver": true, "log-opts": true,

	// Networking.
	"bip": true, "bip6": true, "bridge": true, "fixed-cidr": true, "fixed-cidr-v6": true,
	"default-gateway": true, "default-gateway-v6": true, "default-address-pools": true,
	"default-network-opts": true, "dns": true, "dns-opts": true, "dns-search": true,
	"host-gateway-ip": true, "host-gateway-ips": true, "icc": true, "ip": true, "ip-forward": true,
	"ip-forward-no-drop": true, "ip-masq": true, "ip6tables": true, "iptables": true, "ipv6": true,
	"mtu": true, "network-control-plane-mtu": true, "network-diagnostic-port": true,
	"firewall-backend": true, "allow-direct-routing": true, "bridge-accept-fwmark": true,
	"userland-proxy": true, "userland-proxy-path": true,

	// Swarm.
	"swarm-default-advertise-addr": true, "node-generic-resources": true,
}

// flagNameKeys are dockerd flag names that differ from their daemon.json
// key (the file says "labels", the flag --label). dockerd accepts them in
// the file, because it checks keys against its flags, and then ignores
// them; berthd ignores them too, with a warning.
var flagNameKeys = map[string]string{
	"host": "hosts", "insecure-registry": "insecure-registries", "registry-mirror": "registry-mirrors",
	"label": "labels", "exec-opt": "exec-opts", "storage-opt": "storage-opts", "log-opt": "log-opts",
	"dns-opt": "dns-opts", "feature": "features", "add-runtime": "runtimes", "default-ulimit": "default-ulimits",
	"authorization-plugin": "authorization-plugins", "cdi-spec-dir": "cdi-spec-dirs",
	"default-network-opt": "default-network-opts", "node-generic-resource": "node-generic-resources",
	"default-address-pool": "default-address-pools", "config-file": "", "version": "",
}

// IgnoredWarning is the warning for an ignored key (see Config.Ignored).
func IgnoredWarning(key string) string {
	if fileKey, ok := flagNameKeys[key]; ok {
		if fileKey == "" {
			return fmt.Sprintf("ignoring daemon.json option %q: it is a command-line flag only", key)
		}
		return fmt.Sprintf("ignoring daemon.json option %q: it is the name of the flag; the daemon.json key is %q", key, fileKey)
	}
	return fmt.Sprintf("ignoring daemon.json option %q: berthd does not support it", key)
}

// flatKeys are the keys whose object value is a value, not a group of
// keys; dockerd reads every other object as nested keys (e.g. "proxies").
var flatKeys = map[string]bool{
	"cluster-store-opts": true, "default-network-opts": true, "log-opts": true, "runtimes": true,
	"default-ulimits": true, "features": true, "builder": true, "nri-opts": true,
}

// guardKeys are dockerd-only keys that guard access to the daemon: when set
// to anything but an empty value, ignoring them would serve the requests
// they are meant to stop, so berthd refuses the file instead.
var guardKeys = map[string]string{
	"authorization-plugins": "authorization plugins",
}

// checkGuardKeys refuses keys (a daemon.json's, flattened) that set one of
// guardKeys.
func checkGuardKeys(keys map[string]json.RawMessage) error {
	var set []string
	for k, what := range guardKeys {
		v, ok := keys[k]
		if !ok {
			continue
		}
		var list []any
		if json.Unmarshal(v, &list) == nil && len(list) == 0 || string(v) == "null" || string(v) == `""` {
			continue
		}
		set = append(set, fmt.Sprintf("%s (%s)", what, k))
	}
	if len(set) == 0 {
		return nil
	}
	sort.Strings(set)
	return fmt.Errorf("berthd does not support %s: it would serve every request they are configured to refuse; remove the setting to run without", strings.Join(set, ", "))
}
