#!/bin/bash
# Without a launcher: `srun` itself starts one `painters train` per GPU, on one or several nodes. painters maps
# SLURM's variables (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the first node of SLURM_JOB_NODELIST) to the ones
# PyTorch reads (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR); see `slurm_to_torch` in nbs/22_distributed.ipynb.
# Submit from the workshop folder: sbatch slurm/one_task_per_gpu.sh data/commons
#SBATCH --job-name=painters-tasks
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=4
#SBATCH --mem=64G
#SBATCH --time=01:00:00
#SBATCH --output=%x-%j.out
set -euo pipefail
DATA=${1:?give the folder of paintings, e.g. sbatch slurm/one_task_per_gpu.sh data/commons}

# Compute nodes have no internet: the paintings and the pretrained weights must already be here.
export HF_HUB_OFFLINE=1 PAINTERS_OFFLINE=yes
source .venv/bin/activate

export LOCAL=${SLURM_TMPDIR:-/tmp/$USER-$SLURM_JOB_ID} DATA
srun --ntasks-per-node=1 bash -c 'mkdir -p "$LOCAL" && cp -r "$DATA" "$LOCAL/paintings"'

export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
srun python -m painters.cli train "$LOCAL/paintings" --out "models/painters-$SLURM_JOB_ID.pkl"
