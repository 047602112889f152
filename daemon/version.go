package daemon

// Version is berthd's version.
const Version = "0.1.0-dev"
