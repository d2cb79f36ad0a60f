namespace LowRankTrainer.Tokenizers;

/// <summary>
/// A growable run of UTF-16 code units that the WordPiece pipeline reuses between calls, so that normalising a
/// text allocates nothing once the buffer has grown to the longest text seen.
/// </summary>
internal sealed class CharBuffer(int capacity = 256)
{
    private char[] _items = new char[Math.Max(capacity, 16)];

    public int Length { get; private set; }

    public ReadOnlySpan<char> Span => _items.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void Append(char c)
    {
        if (Length == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Length++] = c;
    }

    public void Append(ReadOnlySpan<char> text)
    {
        if (Length + text.Length > _items.Length) Array.Resize(ref _items, Math.Max(_items.Length * 2, Length + text.Length));
        text.CopyTo(_items.AsSpan(Length));
        Length += text.Length;
    }

    public void AppendCodePoint(int cp)
    {
        if (cp < 0x10000)
        {
            Append((char)cp);
            return;
        }
        Append((char)(0xD7C0 + (cp >> 10)));
        Append((char)(0xDC00 | (cp & 0x3FF)));
    }

    public override string ToString() => new(Span);
}
