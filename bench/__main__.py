"""`make bench`: run every benchmark in turn (or the ones named: knowledge, retrieval, nlu, safeguarding,
assistant, resilience, load)."""
import sys

from bench import (assistant_bench, knowledge_bench, load_bench, nlu_bench, resilience_bench, retrieval_bench,
                   safeguarding_bench)

BENCHES = {"knowledge": knowledge_bench.main, "retrieval": retrieval_bench.main, "nlu": nlu_bench.main, "safeguarding": safeguarding_bench.main, "assistant": assistant_bench.main,
           "resilience": resilience_bench.main, "load": load_bench.main}

if __name__ == "__main__":
    for name in [a for a in sys.argv[1:] if not a.startswith("--")] or list(BENCHES):
        BENCHES[name]()
