"""What every test of a graph-editing script checks first: the script, run on SOURCE, writes the committed model byte
for byte. A test class mixes this in before unittest.TestCase and names SCRIPT, SOURCE and COMMITTED; the edited model
is self.model, the source self.source."""
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import onnx

SCRIPTS = Path(__file__).resolve().parent.parent


class CommittedModel:
    SCRIPT = None
    SOURCE = None
    COMMITTED = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = Path(cls.tmp.name) / cls.COMMITTED.name
        subprocess.run([sys.executable, str(SCRIPTS / cls.SCRIPT), str(cls.SOURCE), str(cls.out)],
                       check=True, capture_output=True)
        cls.model = onnx.load(str(cls.out))
        cls.source = onnx.load(str(cls.SOURCE))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_the_committed_model_is_what_the_script_writes(self):
        self.assertEqual(hashlib.sha256(self.out.read_bytes()).hexdigest(),
                         hashlib.sha256(self.COMMITTED.read_bytes()).hexdigest())
