"""`make bench`: run every benchmark in turn (or the ones named: knowledge, nlu, safeguarding, assistant)."""
import sys

from bench import assistant_bench, knowledge_bench, nlu_bench, safeguarding_bench

BENCHES = {"knowledge": knowledge_bench.main, "nlu": nlu_bench.main, "safeguarding": safeguarding_bench.main, "assistant": assistant_bench.main}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(BENCHES):
        BENCHES[name]()
