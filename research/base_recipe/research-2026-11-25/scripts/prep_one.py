import sys; sys.argv=[sys.argv[0]]
from prep import make, cache
import prep
w = sys.modules["prep"]
