"""perf_worker's stdin protocol (the twin of Java's PerfWorkerTest): one answer line per command,
errors as lines, nothing after quit; and the matmul timer."""

import io
import unittest

import _common  # noqa: F401  (import path)

from deepclust_ref import perf_worker as W


class FakeWorker:
    def train(self, n):
        return [1000 + i for i in range(n)]

    def infer(self, b, n):
        raise ValueError("this worker trains")

    def flops(self):
        return {"flops": 12, "by_type": {}}


class ProtocolTest(unittest.TestCase):
    def test_one_line_per_command_and_nothing_after_quit(self):
        out = io.StringIO()
        W.serve(FakeWorker(), ["train 3\n", "infer 1 1\n", "flops\n", "rss\n", "bogus\n", "\n",
                               "quit\n", "train 1\n"], out)
        lines = out.getvalue().splitlines()
        self.assertEqual(lines[0], "times 1000 1001 1002")
        self.assertEqual(lines[1], "error this worker trains")
        self.assertEqual(lines[2], 'flops {"flops": 12, "by_type": {}}')
        peak, current = map(int, lines[3].split()[1:])
        self.assertGreaterEqual(peak, current)
        self.assertGreater(current, 50_000)  # kB: Python with TensorFlow loaded
        self.assertEqual(lines[4], "error unknown command 'bogus'")
        self.assertEqual(len(lines), 5)

    def test_matmul_times_each_repetition(self):
        times = W.matmul(64, 3)
        self.assertEqual(len(times), 3)
        self.assertTrue(all(t > 0 for t in times))


if __name__ == "__main__":
    unittest.main()
