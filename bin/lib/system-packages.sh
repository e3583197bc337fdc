# Sourced by mvnw and bin/serve: makes sure the Debian packages a command needs are installed.
# imagescore_require_packages WHAT PACKAGE...: missing packages are installed when running as root with apt-get (a
# fresh machine here); otherwise the command stops with one line saying what to install. Not a Debian system (no
# dpkg-query): nothing is checked; a pack then still refuses to load on a pixel pipeline its heads were not trained on.
imagescore_require_packages() {
  imagescore_what="$1"
  shift
  command -v dpkg-query >/dev/null 2>&1 || return 0
  imagescore_missing=""
  for imagescore_pkg in "$@"; do
    case "$(dpkg-query -W -f='${Status}' "$imagescore_pkg" 2>/dev/null || true)" in
      *"install ok installed"*) ;;
      *) imagescore_missing="$imagescore_missing $imagescore_pkg" ;;
    esac
  done
  [ -n "$imagescore_missing" ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "imagescore: installing Debian packages $imagescore_what needs:$imagescore_missing" >&2
    # shellcheck disable=SC2086
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $imagescore_missing >/dev/null 2>&1 ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $imagescore_missing >/dev/null; }; } ||
      { echo "imagescore: apt-get could not install:$imagescore_missing" >&2; exit 1; }
  else
    echo "imagescore: $imagescore_what needs Debian packages that are missing; install them with: sudo apt-get install -y$imagescore_missing" >&2
    exit 1
  fi
}

# What the test suite uses: libjpeg-turbo (the heads' pixel pipeline), Pillow + numpy (parity goldens), gRPC Python
# and both protoc routes (the README's Python client), PyTorch + ONNX (scripts/export_clip_onnx.py exports the test
# CLIP that ExportedClipBackendsTest serves; scripts/tests check the exporter), headless Chromium and its WebDriver
# (RaterPageIT drives the rater page by keyboard).
IMAGESCORE_TEST_PACKAGES="libturbojpeg0 python3-pil python3-numpy python3-grpcio python3-grpc-tools protobuf-compiler python3-torch python3-onnx chromium chromium-driver"
# What serving the default pack needs beyond the JDK: libjpeg-turbo (the pixels the shipped heads were trained on).
IMAGESCORE_SERVE_PACKAGES="libturbojpeg0"
