#!/usr/bin/env bash
# slim-base.sh ROOTFS - turn a `debootstrap --variant=minbase bookworm` tree
# into the equivalent of Docker Hub's debian:12-slim: the same dpkg
# path-excludes (no docs but copyright files, no man/info pages, no
# locales), the same apt settings for containers, the deb822 sources of
# bookworm, bookworm-updates and bookworm-security, and no apt caches.
# Called by scripts/container-test.sh; needs root (the tree is root-owned).
set -euo pipefail
R=$1
[ -x "$R/usr/bin/dpkg" ] || { echo "slim-base.sh: $R is not a Debian root" >&2; exit 1; }

cat >"$R/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As in the debian:*-slim images: keep docs, man pages and locales out.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
# What debootstrap already unpacked: remove what those rules would exclude.
find "$R/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$R/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$R"/usr/share/{groff,info,linda,man}/* "$R"/usr/share/lintian/overrides/*
find "$R/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

cat >"$R/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$R/etc/apt/apt.conf.d/docker-no-languages"
printf 'Acquire::GzipIndexes "true";\nAcquire::CompressionTypes::Order:: "gz";\n' >"$R/etc/apt/apt.conf.d/docker-gzip-indexes"
printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$R/etc/apt/apt.conf.d/docker-autoremove-suggests"

rm -f "$R/etc/apt/sources.list"
cat >"$R/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb \
       "$R"/var/cache/debconf/*-old "$R"/var/lib/dpkg/*-old "$R"/var/log/* "$R"/tmp/* "$R"/root/.bash_history
mkdir -p "$R/var/lib/apt/lists/partial"
# No host identity in the image.
: >"$R/etc/hostname"; rm -f "$R/etc/machine-id"; : >"$R/etc/machine-id"
rm -f "$R/etc/resolv.conf"
