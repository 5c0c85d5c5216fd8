#!/usr/bin/env bash
# One SLURM array task per shard of `errata shards`: each task runs its predict stage(s) in a clone of
# the submitting repository's commit and pushes the outputs and run-cache to the default DVC remote.
# From the repository, with params.yaml (predict.models, images.val) and the remote committed and the
# environment activated (sbatch passes it on):
#   sbatch --wait --array=0-$(($(errata shards --count) - 1)) scripts/slurm_predict.sh
# then, anywhere: dvc repro --pull   (restores every shard, runs the rest of the pipeline).
# On a node with no GPU (scripts/slurm_local.sh's), sbatch's own --gres=none --cpus-per-task=1
# override the two requests below (docs/machines.md).
# Arguments go to `errata shards` (e.g. --machines 8 with --array=0-7: a task runs several models).
#SBATCH --job-name=errata-predict
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=16
#SBATCH --time=24:00:00
set -euo pipefail

repo=${SLURM_SUBMIT_DIR:?submit with sbatch from the repository}
task=${SLURM_ARRAY_TASK_ID:?submit as an array: sbatch --array=0-N}
# own clone per task: DVC locks a repository while it reproduces
work=${TMPDIR:-/tmp}/errata-predict-${SLURM_ARRAY_JOB_ID:-$$}-$task
git clone -q "$repo" "$work"
trap 'rm -rf "$work"' EXIT
if [ -f "$repo/.dvc/config.local" ]; then # remote credentials kept out of git
  cp "$repo/.dvc/config.local" "$work/.dvc/"
fi
cd "$work"
export PYTHONPATH=$work
command=$(errata shards "$@" --index "$task")
echo "[slurm_predict] task $task on $(hostname): $command"
eval "$command"
