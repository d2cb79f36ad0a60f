using LowRankTrainer.Data.Text;

namespace LowRankTrainer.Tests.Data.Text;

public class MailTextTests
{
    [Fact]
    public void SubjectAndBody_KeepsTheSubjectAndEverythingAfterTheFirstBlankLine()
    {
        const string Mail = "From a@b  Thu Aug 22 2002\nReceived: from x\n\tby y\nSubject: Life Insurance - Why Pay More?\nDate: now\n\nHello,\n\nbody line\n";
        Assert.Equal("Life Insurance - Why Pay More?\n\nHello,\n\nbody line\n", MailText.SubjectAndBody(Mail));
    }

    [Fact]
    public void SubjectAndBody_UnfoldsAFoldedSubject_MatchesCaseInsensitively_AndNormalisesCrLf()
    {
        const string Mail = "SUBJECT: Re: a long\r\n\tsubject line\r\nTo: x\r\n\r\nbody\r\n";
        Assert.Equal("Re: a long subject line\n\nbody\n", MailText.SubjectAndBody(Mail));
    }

    [Fact]
    public void SubjectAndBody_NoSubject_NoBody()
    {
        Assert.Equal("\n\nonly body", MailText.SubjectAndBody("To: x\n\nonly body"));
        Assert.Equal("s\n\n", MailText.SubjectAndBody("Subject: s\nTo: x\n"));
    }
}
