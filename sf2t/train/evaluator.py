"""The held-out loss a run reports every ``eval_every`` steps."""

from __future__ import annotations

import torch

from sf2t.train import data
from sf2t.train.config import TrainConfig


class Evaluator:
    """Mean loss on a fixed, seeded draw of ``eval_samples`` records, split across processes."""

    def __init__(self, sources, llm, config: TrainConfig, accelerator):
        world, rank = accelerator.num_processes, accelerator.process_index
        per_rank = -(-config.eval_samples // world)
        plan = data.mixture_plan(sources, 1, per_rank * world, config.seed + 1)
        self.batches = data.MicroBatches(plan, sources, llm, rank, per_rank, config.frame_cache_mb)
        self.llm, self.accelerator, self.batch_size = llm, accelerator, config.batch_size

    @torch.no_grad()
    def loss(self, model) -> float:
        pairs = self.batches.records(0)
        unwrapped = self.accelerator.unwrap_model(model)
        was_training = unwrapped.training
        unwrapped.eval()
        total, count = torch.zeros((), device=self.accelerator.device), 0
        try:
            for i in range(0, len(pairs), self.batch_size):
                chunk = pairs[i : i + self.batch_size]
                for group in data.encode_groups(self.llm, chunk, self.batches.cache):
                    loss = unwrapped(**self.llm.to_device(group.batch)).loss.detach()
                    total += loss * group.weight * len(chunk)
                count += len(chunk)
        finally:
            unwrapped.train(was_training)
        mean = total / max(count, 1)
        if self.accelerator.num_processes > 1:
            mean = self.accelerator.reduce(mean, reduction="mean")
        return float(mean)
