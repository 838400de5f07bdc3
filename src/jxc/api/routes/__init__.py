"""One router per resource; each route calls one service or query and maps nothing else."""
