#!/bin/sh
# Trains the learned heads of packs/mobilenetv2-default (quality, quality_fast, room_type, apparel version 1; apparel
# version 2, the RBF kernel classifier that is the default apparel head)
# from ../shared data and evaluates them on the held-out splits. Deterministic: rerunning it on the same code,
# preprocessing and encoder rewrites the same bytes. Heads are tied to the exact pixel pipeline (the preprocessing id
# is recorded in each head.json's training block): rerun whenever preprocessing changes.
#
#   scripts/train_default_heads.sh            # builds (mvnw package) and runs bin/imagescore
#
# Environment: SHARED (default ../shared), IMAGESCORE_CACHE (embedding cache dir, default target/embedding-cache;
# cached embeddings are the exact floats, so a warm cache changes only the time taken), IMAGESCORE_CLI (a prebuilt
# launcher to use instead of building + bin/imagescore). Evaluation reports go to docs/heads-eval/.
set -eu
cd "$(dirname "$0")/.."
SHARED="${SHARED:-../shared}"
CACHE="${IMAGESCORE_CACHE:-target/embedding-cache}"
PACK=packs/mobilenetv2-default
HEADS="$PACK/heads"
if [ -z "${IMAGESCORE_CLI:-}" ]; then
  ./mvnw -q package -DskipTests
  IMAGESCORE_CLI=bin/imagescore
fi
mkdir -p docs/heads-eval
common="--pack $PACK --shared $SHARED --cache-dir $CACHE --seed 0 --folds 5 --out $HEADS --version 1"

for head in quality quality_fast room_type apparel; do rm -rf "$HEADS/$head/1"; done
rm -rf "$HEADS/apparel/2"

$IMAGESCORE_CLI fit $common --name quality --kind regression \
  --labels "$SHARED/data/clive/mos.csv" --target-column mos --views grid3,grid3_flip --unit MOS \
  --description "Technical photo quality on the LIVE In-the-Wild MOS scale (about 0-100, higher is better): ridge regression on MobileNetV2 features averaged over a 3x3 grid of native-resolution 224 crops and their mirrors (18 encoder passes per image)."
$IMAGESCORE_CLI fit $common --name quality_fast --kind regression \
  --labels "$SHARED/data/clive/mos.csv" --target-column mos --views center --unit MOS \
  --description "Cheap variant of quality (one encoder pass, centre crop): same scale, lower accuracy."
$IMAGESCORE_CLI fit $common --name room_type --kind classes \
  --class-dirs "$SHARED/data/rooms/train" --views grid3,grid3_flip \
  --description "Room type of an indoor listing photo (Places365 subset, 6 classes): temperature-calibrated multinomial logistic regression on MobileNetV2 features averaged over a 3x3 grid of 224 crops and their mirrors (the views quality reads, so scoring both costs no extra encoder pass)."
$IMAGESCORE_CLI fit $common --name apparel --kind classes \
  --class-dirs "$SHARED/data/clothing/train" --views center,center_flip,whole,whole_flip \
  --description "Apparel category of a product photo (10 classes): temperature-calibrated multinomial logistic regression on MobileNetV2 features of the centre crop, the whole image and their mirrors."
$IMAGESCORE_CLI fit ${common%--version 1} --version 2 --name apparel --kind classes --classifier kernel \
  --class-dirs "$SHARED/data/clothing/train" --views center,center_flip,whole,whole_flip \
  --description "Apparel category of a product photo (10 classes): temperature-calibrated RBF kernel ridge classifier on the top 256 principal components of MobileNetV2 features of the centre crop, the whole image and their mirrors (version 1 is the smaller logistic head)."

ev="--pack $PACK --shared $SHARED --cache-dir $CACHE"
$IMAGESCORE_CLI evaluate $ev --score room_type@1 --class-dirs "$SHARED/data/rooms/eval" --json docs/heads-eval/room_type-rooms-eval.json
$IMAGESCORE_CLI evaluate $ev --score apparel@1 --class-dirs "$SHARED/data/clothing/validation" --json docs/heads-eval/apparel-clothing-validation.json
$IMAGESCORE_CLI evaluate $ev --score apparel@2 --class-dirs "$SHARED/data/clothing/validation" --json docs/heads-eval/apparel2-clothing-validation.json
