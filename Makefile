# emotiond — common tasks. `make help` lists them.
SWIFT ?= swift
PREFIX ?= /usr/local

# Build, tests and demo; sqlite3 for the tests' integrity checks; python3, python3-venv and bc
# for make bench (the Python reference's venv and the report).
APT_PACKAGES = libmosquitto-dev mosquitto mosquitto-clients libopenblas-dev \
  libavcodec-dev libavformat-dev libavutil-dev libswresample-dev libswscale-dev \
  libopencv-dev opencv-data libsqlite3-dev sqlite3 pkg-config ffmpeg openssl systemd \
  python3 python3-venv bc

.PHONY: help deps apt-packages build release test demo install bench clean

help:
	@echo "make deps     install the Debian packages (needs root)"
	@echo "make release  release build of emotiond"
	@echo "make test     run every test (swift test)"
	@echo "make demo     release build, local mosquitto, emotiond serve, publish samples/, print the events"
	@echo "make install  install binary, models, config and systemd unit under PREFIX (default /usr/local)"
	@echo "make bench    release build, Swift vs Python reference + end to end through mosquitto -> BENCHMARKS.md"

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES)

# The Debian package list, for scripts (.ci/run) that install it themselves.
apt-packages:
	@echo $(APT_PACKAGES)

build:
	$(SWIFT) build

release:
	$(SWIFT) build -c release

test:
	$(SWIFT) test --disable-swift-testing

demo: release
	scripts/demo.sh

# Layout matches the defaults in config/emotiond.yaml and systemd/emotiond.service:
#   $(PREFIX)/bin/emotiond, $(PREFIX)/share/emotiond/models/{audio,facial}.safetensors (links to the
#   shipped files; the facial model's graph sidecar sits beside them), /etc/emotiond/emotiond.yaml
#   (kept if present), /etc/systemd/system/emotiond.service. DESTDIR is honoured for packaging.
MODELDIR = $(DESTDIR)$(PREFIX)/share/emotiond/models
install: release
	@test -r models/audio-emotion.safetensors || { echo "models/audio-emotion.safetensors missing (emotiond train audio)"; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(MODELDIR) $(DESTDIR)/etc/emotiond $(DESTDIR)/etc/systemd/system \
	  $(DESTDIR)$(PREFIX)/share/doc/emotiond
	install -m 0755 .build/release/emotiond $(DESTDIR)$(PREFIX)/bin/emotiond
	install -m 0644 models/audio-emotion.safetensors models/fer_mini_xception.f32.safetensors \
	  models/fer_mini_xception.json models/README.md $(MODELDIR)/
	ln -sf audio-emotion.safetensors $(MODELDIR)/audio.safetensors
	ln -sf fer_mini_xception.f32.safetensors $(MODELDIR)/facial.safetensors
	test -e $(DESTDIR)/etc/emotiond/emotiond.yaml || install -m 0640 config/emotiond.yaml $(DESTDIR)/etc/emotiond/emotiond.yaml
	install -m 0644 systemd/emotiond.service $(DESTDIR)/etc/systemd/system/emotiond.service
	install -m 0644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/emotiond/
	@echo "installed; next: edit /etc/emotiond/emotiond.yaml, then systemctl daemon-reload && systemctl enable --now emotiond"

bench:
	bench/run.sh
	SKIP_BUILD=1 bench/e2e.sh

clean:
	rm -rf .build
