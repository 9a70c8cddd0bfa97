// Daemon module: see Package.swift for its concern.
