#!/usr/bin/env bash
# Train the assistant if models/ holds no model newer than what it is trained from: the training data,
# dialogue, domain, pipeline, our NLU components and the places the gazetteer learns from the
# knowledge base. The safeguarding classifier (nlu/safeguarding/) is trained on its own, when its data or
# code, or the intent data it reads as ordinary traffic (nlu/data/), is newer than its model.
# Usage: scripts/train.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false
safeguarding=nlu/build/safeguarding/model.joblib
if [ "${1:-}" = "--force" ] || [ ! -f "$safeguarding" ] || [ -n "$(find nlu/safeguarding nlu/data knowledge/embedding.py \
     nlu/augment.py \( -name '*.py' -o -name '*.yml' \) -newer "$safeguarding" -print -quit)" ]; then
  echo "Training the safeguarding classifier (a few minutes)"
  .venv/bin/python -m nlu.safeguarding.train
fi
model=models/signpost.tar.gz
sources=(config.yml domain.yml nlu/data bot/dialogue nlu/gazetteer.py nlu/safety_net.py
         knowledge/embedding.py nlu/intent_classifier.py nlu/time_age_extractor.py nlu/entity_rules.py
         knowledge/data/geography knowledge/data/packs)
if [ "${1:-}" != "--force" ] && [ -f "$model" ] && [ -z "$(find "${sources[@]}" -newer "$model" -print -quit)" ]; then
  exit 0
fi
echo "Building the place gazetteer from the knowledge base"
.venv/bin/python -m nlu.gazetteer
echo "Training the assistant (a few minutes)"
start=$(date +%s)
.venv/bin/rasa train --data nlu/data bot/dialogue --domain domain.yml --config config.yml \
  --out models --fixed-model-name signpost --quiet
echo "Trained in $(( $(date +%s) - start )) s: $model"
