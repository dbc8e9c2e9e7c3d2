#!/bin/bash
# One node, several GPUs: one `torchrun` starts one `painters train` process per GPU (NCCL between them).
# Submit from the workshop folder (the one holding .venv): sbatch slurm/one_node.sh data/commons
# Explained in nbs/22_distributed.ipynb. Adapt the #SBATCH lines (account, GPUs, time) to your cluster.
#SBATCH --job-name=painters-one-node
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=16
#SBATCH --mem=64G
#SBATCH --time=01:00:00
#SBATCH --output=%x-%j.out
set -euo pipefail
DATA=${1:?give the folder of paintings, e.g. sbatch slurm/one_node.sh data/commons}
GPUS=${SLURM_GPUS_ON_NODE:-4}

# Compute nodes have no internet: the paintings and the pretrained weights must already be here
# (run `painters download` and one `painters train` on the login node first, which caches the weights).
export HF_HUB_OFFLINE=1 PAINTERS_OFFLINE=yes
source .venv/bin/activate

# Thousands of small image files read from the shared filesystem are slow: copy them to the node's own disk.
LOCAL=${SLURM_TMPDIR:-/tmp/$USER-$SLURM_JOB_ID}
mkdir -p "$LOCAL"
cp -r "$DATA" "$LOCAL/paintings"

# The node's cores, shared among the processes (torchrun would otherwise give each one thread).
export OMP_NUM_THREADS=$(( ${SLURM_CPUS_PER_TASK:-$GPUS} / GPUS ))
torchrun --standalone --nproc_per_node "$GPUS" \
  -m painters.cli train "$LOCAL/paintings" --out "models/painters-$SLURM_JOB_ID.pkl"
