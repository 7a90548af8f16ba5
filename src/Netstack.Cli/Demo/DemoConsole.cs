namespace Netstack.Cli.Demo;

/// <summary>
/// The demo's output on stdout: messages, and per test a progress bar redrawn in place on a terminal, or one
/// line when the test ends when the output is a file or a pipe.
/// </summary>
internal sealed class DemoConsole(TextWriter output, bool interactive)
{
    private const int BarWidth = 24;

    private readonly Lock _gate = new();

    /// <summary>The console of this process: interactive when stdout is a terminal.</summary>
    public static DemoConsole ForProcess() => new(Console.Out, !Console.IsOutputRedirected);

    /// <summary>Prints a line.</summary>
    public void Say(string line)
    {
        lock (_gate)
        {
            output.WriteLine(line);
        }
    }

    /// <summary>Starts the progress of a test of <paramref name="total"/> steps (0 when the length is time-bound).</summary>
    public Progress Begin(string name, int total) => new(this, name, total);

    /// <summary>The progress of one test; disposing it ends the line.</summary>
    public sealed class Progress : IDisposable
    {
        private readonly DemoConsole _console;
        private readonly string _name;
        private readonly int _total;
        private int _done;
        private int _ok;
        private string _detail = "";
        private bool _ended;

        internal Progress(DemoConsole console, string name, int total)
        {
            _console = console;
            _name = name;
            _total = total;
            Draw();
        }

        /// <summary>Steps done and answered so far.</summary>
        public void Report(int done, int ok)
        {
            _done = done;
            _ok = ok;
            Draw();
        }

        /// <summary>Free text for time-bound tests ("1.2 GB, 3.4 Gbit/s").</summary>
        public void Report(string detail)
        {
            _detail = detail;
            Draw();
        }

        private void Draw()
        {
            if (!_console.InteractiveOutput)
            {
                return;
            }
            lock (_console._gate)
            {
                _console.Output.Write("\r  " + Line() + "\u001b[K");
            }
        }

        private string Line()
        {
            if (_total <= 0)
            {
                return $"{_name,-32} {_detail}";
            }
            int filled = _done * BarWidth / _total;
            string bar = new string('#', filled) + new string('.', BarWidth - filled);
            return $"{_name,-32} [{bar}] {_done}/{_total}{(_ok != _done ? $" ({_done - _ok} lost)" : "")}";
        }

        public void Dispose()
        {
            if (_ended)
            {
                return;
            }
            _ended = true;
            lock (_console._gate)
            {
                _console.Output.Write(_console.InteractiveOutput ? "\r  " + Line() + "\u001b[K\n" : "  " + Line() + "\n");
            }
        }
    }

    private TextWriter Output => output;

    private bool InteractiveOutput => interactive;
}
