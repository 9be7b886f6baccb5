# bin/lib.sh: what the bash scripts in bin/ share. Sourced, never run:
#   source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
# famfs_home      the project (bin/..)
# famfs_java_home the JDK: FAMFS_JAVA_HOME, else Temurin 25, else JAVA_HOME
# famfs_jvm_opts  the JVM flags every famfs JVM gets (the AOT cache requires the same ones)
# famfs_app       target/quarkus-app (Quarkus's runner jar, the application jar, libraries)
# famfs_cli_cp    the plain class path one-shot commands start from (io.famfs.cli.Main),
#                 set by famfs_set_cli_cp
# famfs_aot       the AOT cache bin/famfs-train records for that class path
# The appliance has its own launcher (appliance/famfs: busybox sh, jlink'd runtime).
famfs_home=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
famfs_java_home=${FAMFS_JAVA_HOME:-}
if [[ -z "$famfs_java_home" ]]; then
  if [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
    famfs_java_home=/usr/lib/jvm/temurin-25-jdk-amd64
  else
    famfs_java_home=${JAVA_HOME:-/usr}
  fi
fi
famfs_jvm_opts=(--enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xss1m)
famfs_app=$famfs_home/target/quarkus-app
famfs_aot=$famfs_home/target/famfs.aot

# The application jar and picocli first (the class loader searches the path in order, and
# these two hold nearly every class a command loads), then every other library. Picocli is
# the copy in target/cli-lib/ that bin/famfs-train re-targets to class version 52 (the AOT
# cache cannot hold its Java 5 classes), or Quarkus's copy if there is none.
famfs_set_cli_cp() {
  local picocli j
  local jars=("$famfs_app"/app/*.jar)
  for picocli in "$famfs_home"/target/cli-lib/picocli-*.jar "$famfs_app"/lib/main/info.picocli.picocli-*.jar; do
    [[ -f $picocli ]] && break
  done
  jars+=("$picocli")
  for j in "$famfs_app"/lib/main/*.jar; do
    [[ $j == */info.picocli.picocli-* ]] || jars+=("$j")
  done
  local IFS=:
  famfs_cli_cp="${jars[*]}"
}

# Whether the arguments may run the mount server (Quarkus: started from its runner jar):
# the rule of io.famfs.cli.Cli.servesMount, and famfs_fused's command line ('famfs fused',
# which io.famfs.cli.FamfsMain translates first).
famfs_serves_mount() {
  [[ ${1:-} == fused ]] && return 0
  local a has_mount= has_fg=
  for a in "$@"; do
    case $a in
      mount) has_mount=1 ;;
      --foreground|-d|--debug) has_fg=1 ;;
    esac
  done
  [[ -n $has_mount && -n $has_fg ]]
}

famfs_require_build() {
  if [[ ! -f "$famfs_app/quarkus-run.jar" ]]; then
    echo "${0##*/}: $famfs_app/quarkus-run.jar is missing; build it first: (cd $famfs_home && mvn -DskipTests package)" >&2
    exit 1
  fi
}
