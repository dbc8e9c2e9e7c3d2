#!/bin/bash
# Several nodes, several GPUs each: `srun` starts one `torchrun` per node; the launchers meet at a c10d rendezvous on
# the first node, and each starts one `painters train` process per GPU of its node.
# Submit from the workshop folder (the one holding .venv), on a shared filesystem every node sees:
#   sbatch slurm/several_nodes.sh data/commons
# Explained in nbs/22_distributed.ipynb. Adapt the #SBATCH lines (account, nodes, GPUs, time) to your cluster.
#SBATCH --job-name=painters-several-nodes
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=16
#SBATCH --mem=64G
#SBATCH --time=01:00:00
#SBATCH --output=%x-%j.out
set -euo pipefail
DATA=${1:?give the folder of paintings, e.g. sbatch slurm/several_nodes.sh data/commons}
GPUS=${SLURM_GPUS_ON_NODE:-4}

# Compute nodes have no internet: the paintings and the pretrained weights must already be here.
export HF_HUB_OFFLINE=1 PAINTERS_OFFLINE=yes
source .venv/bin/activate

# The rendezvous: the first node of the job, on a port derived from the job id (two jobs on one node don't clash).
export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
export MASTER_PORT=$(( 20000 + SLURM_JOB_ID % 20000 ))

# One copy of the paintings on each node's own disk (SLURM_TMPDIR is node-local), made once per node.
export LOCAL=${SLURM_TMPDIR:-/tmp/$USER-$SLURM_JOB_ID} DATA
srun --ntasks-per-node=1 bash -c 'mkdir -p "$LOCAL" && cp -r "$DATA" "$LOCAL/paintings"'

export OMP_NUM_THREADS=$(( ${SLURM_CPUS_PER_TASK:-$GPUS} / GPUS ))
srun --ntasks-per-node=1 torchrun --nnodes "$SLURM_NNODES" --nproc_per_node "$GPUS" \
  --rdzv_backend c10d --rdzv_endpoint "$MASTER_ADDR:$MASTER_PORT" --rdzv_id "$SLURM_JOB_ID" \
  -m painters.cli train "$LOCAL/paintings" --out "models/painters-$SLURM_JOB_ID.pkl"
