"""One timed fit of the painter model, as `bench/speed.py --only dist` runs it under `torchrun --nproc_per_node N`:
prints, from process 0, the training images per second over all processes (an epoch: training, then validation).
Usage: python -m torch.distributed.run --standalone --nproc_per_node N bench/dist_epoch.py FOLDER SIZE BS EPOCHS"""
import json, sys, time, warnings
if __name__ == '__main__' and (len(sys.argv) != 5 or sys.argv[1] in ('-h', '--help')): sys.exit(__doc__) # before torch is imported
warnings.filterwarnings('ignore')
import torch
from fastai.callback.core import Callback
import fastai.callback.progress # `no_bar`
from painters.distributed import data_parallel
from painters.data import painter_dls
from painters.learner import painter_learner
from painters.recipe import LINEAR_HEAD, FreezeBodyBN

class CountImages(Callback):
    "Training images this process trained on"
    def before_fit(self): self.n = 0
    def after_batch(self):
        if self.training: self.n += len(self.learn.yb[0])

def main(path:str, size:int, bs:int, epochs:int):
    with data_parallel() as launch:
        learn = painter_learner(painter_dls(path, size=size, bs=bs), 'efficientnet_lite0', **LINEAR_HEAD)
        learn.freeze_to(-2) # as the recipe trains: the body's last group and the head
        count = CountImages()
        with learn.no_bar(), learn.no_logging():
            learn.fit(1, 1e-4, cbs=FreezeBodyBN()) # a first epoch pays for allocations and the first calls
            start = time.perf_counter()
            learn.fit(epochs, 1e-4, cbs=[FreezeBodyBN(), count]) # `DataParallel.after_fit` gathers from every process: all have finished
            seconds = time.perf_counter() - start
        if launch.main: print(json.dumps(dict(processes=launch.world, threads=torch.get_num_threads(), seconds=seconds,
                                              images=count.n * launch.world))) # every process trains on as many images

if __name__ == '__main__': main(sys.argv[1], *map(int, sys.argv[2:5]))
